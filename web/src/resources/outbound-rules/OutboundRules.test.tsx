import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import OutboundRulesPage from './index';
import { json, mockApi, renderPage } from '../../test/render';

afterEach(() => vi.unstubAllGlobals());

const trunk = {
  id: 1,
  name: 'CallCentric',
  host: 'sip.callcentric.net',
  port: 5060,
  transport: 'udp',
  username: '1777',
  has_password: true,
  auth_realm: null,
  register: false,
  register_expires_s: 3600,
  from_domain: '',
  max_concurrent_calls: 0,
  inbound_sources: [],
  status: null,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

function rule(id: number, name: string, position: number) {
  return {
    id,
    name,
    position,
    patterns: ['_X.'],
    caller_groups: [],
    caller_users: [],
    strip: 0,
    prepend: '',
    trunks: [1],
    caller_id: null,
    allow_trunk_callers: false,
    created_at: '2026-01-01T00:00:00Z',
    updated_at: '2026-01-01T00:00:00Z',
  };
}

describe('outbound rule form', () => {
  it('shows a pattern error from the server on the row it names and keeps what was typed', async () => {
    const requests = mockApi({
      'GET /api/v1/trunks': () => json(200, { items: [trunk], next_cursor: null }),
      'POST /api/v1/outbound-rules': () =>
        json(400, {
          error: { code: 'invalid', message: "patterns[1]: unclosed '['", field: 'patterns[1]' },
        }),
    });
    const user = userEvent.setup();
    renderPage(<OutboundRulesPage />, { path: '/outbound-rules/new', route: '/outbound-rules/*' });

    await user.type(screen.getByLabelText(/^Name/), 'Local calls');
    await user.type(screen.getByLabelText('Pattern 1'), '_9X.');
    await user.click(screen.getByRole('button', { name: 'Add pattern' }));
    await user.type(screen.getByLabelText('Pattern 2'), '_9[[');
    await screen.findByRole('option', { name: 'CallCentric' });
    await user.selectOptions(screen.getByLabelText('Add a trunk'), 'CallCentric');
    await user.click(screen.getByRole('button', { name: 'Add' }));
    await user.click(screen.getByRole('button', { name: 'Add outbound rule' }));

    const post = await waitFor(() => {
      const r = requests.find((x) => x.method === 'POST');
      expect(r).toBeDefined();
      return r!;
    });
    expect(post.body).toMatchObject({
      name: 'Local calls',
      patterns: ['_9X.', '_9['],
      trunks: [1],
      caller_id: null,
    });
    const second = screen.getByLabelText('Pattern 2');
    await waitFor(() => expect(second).toHaveAttribute('aria-invalid', 'true'));
    expect(second).toHaveAccessibleDescription(expect.stringContaining("unclosed '['"));
    expect(screen.getByLabelText('Pattern 1')).not.toHaveAttribute('aria-invalid', 'true');
    // Nothing typed is lost.
    expect(screen.getByLabelText('Pattern 1')).toHaveValue('_9X.');
    expect(second).toHaveValue('_9[');
    expect(screen.getByLabelText(/^Name/)).toHaveValue('Local calls');
  });

  it('sends the fixed caller ID and puts its error on the caller ID field', async () => {
    const requests = mockApi({
      'GET /api/v1/trunks': () => json(200, { items: [trunk], next_cursor: null }),
      'GET /api/v1/outbound-rules/4': () => json(200, { ...rule(4, 'Intl', 1) }),
      'PATCH /api/v1/outbound-rules/4': () =>
        json(400, {
          error: {
            code: 'invalid',
            message: 'caller_id.value: 1–32 digits',
            field: 'caller_id.value',
          },
        }),
    });
    const user = userEvent.setup();
    renderPage(<OutboundRulesPage />, { path: '/outbound-rules/4', route: '/outbound-rules/*' });
    await user.selectOptions(await screen.findByLabelText('Caller ID policy'), 'fixed');
    await user.type(screen.getByLabelText('Fixed caller ID'), '12x');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    await waitFor(() => expect(screen.getByText('caller_id.value: 1–32 digits')).toBeVisible());
    const patch = requests.find((r) => r.method === 'PATCH');
    expect(patch?.body).toMatchObject({ caller_id: { policy: 'fixed', value: '12x' } });
    expect(screen.getByLabelText('Fixed caller ID')).toHaveAttribute('aria-invalid', 'true');
  });
});

describe('outbound rule order', () => {
  it('Move up and Move down send the new position', async () => {
    const requests = mockApi({
      'GET /api/v1/trunks': () => json(200, { items: [trunk], next_cursor: null }),
      'GET /api/v1/outbound-rules': () =>
        json(200, {
          items: [rule(1, 'Sales', 1), rule(2, 'Support', 2), rule(3, 'Everyone', 3)],
          next_cursor: null,
        }),
      'PATCH /api/v1/outbound-rules/2': () => json(200, rule(2, 'Support', 3)),
    });
    const user = userEvent.setup();
    renderPage(<OutboundRulesPage />, { path: '/outbound-rules', route: '/outbound-rules/*' });

    await user.click(await screen.findByRole('button', { name: 'Move down: Support' }));
    await waitFor(() => expect(requests.filter((r) => r.method === 'PATCH')).toHaveLength(1));
    expect(requests.find((r) => r.method === 'PATCH')?.body).toEqual({ position: 3 });

    await waitFor(() =>
      expect(screen.getByRole('button', { name: 'Move up: Support' })).toBeEnabled(),
    );
    await user.click(screen.getByRole('button', { name: 'Move up: Support' }));
    await waitFor(() => expect(requests.filter((r) => r.method === 'PATCH')).toHaveLength(2));
    expect(requests.filter((r) => r.method === 'PATCH')[1]?.body).toEqual({ position: 1 });

    // The first cannot move up, the last cannot move down.
    expect(screen.getByRole('button', { name: 'Move up: Sales' })).toBeDisabled();
    expect(screen.getByRole('button', { name: 'Move down: Everyone' })).toBeDisabled();
  });

  it('shows no editing controls to a supervisor', async () => {
    mockApi({
      'GET /api/v1/trunks': () => json(200, { items: [trunk], next_cursor: null }),
      'GET /api/v1/outbound-rules': () =>
        json(200, { items: [rule(1, 'Sales', 1)], next_cursor: null }),
    });
    const { sessionFor, adminUser } = await import('../../test/render');
    renderPage(<OutboundRulesPage />, {
      path: '/outbound-rules',
      route: '/outbound-rules/*',
      session: sessionFor({ ...adminUser, role: 'supervisor' }, 'supervisor'),
    });
    const table = await screen.findByRole('table');
    expect(within(table).getByText('Sales')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Move up/ })).toBeNull();
    expect(screen.queryByRole('button', { name: /Delete/ })).toBeNull();
    expect(screen.queryByRole('link', { name: 'Add' })).toBeNull();
  });
});
