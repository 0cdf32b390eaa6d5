import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import type { Group } from '../../api/types';
import { GroupSettings } from './GroupSettings';
import { json, mockApi, renderPage } from '../../test/render';

const sales: Group = {
  id: 3,
  name: 'Sales Dept',
  description: '',
  extension: '600',
  outbound_caller_id: '010000',
  trunk: 1,
  ring_strategy: 'simultaneous',
  ring_timeout_s: 20,
  max_wait_s: 120,
  wrap_up_s: 0,
  ring_in_use: false,
  skip_unregistered: true,
  fallback: null,
  schedule: null,
  closed_destination: null,
  cti_scope: false,
  member_count: 2,
  created_at: '2026-01-01T00:00:00Z',
  updated_at: '2026-01-01T00:00:00Z',
};

const lists = {
  'GET /api/v1/trunks': () =>
    json(200, { items: [{ id: 1, name: 'CallCentric' }], next_cursor: null }),
  'GET /api/v1/schedules': () =>
    json(200, { items: [{ id: 4, name: 'Office hours' }], next_cursor: null }),
};

afterEach(() => vi.unstubAllGlobals());

describe('group Settings', () => {
  it('shows a server field error next to that field and keeps what was typed', async () => {
    const requests = mockApi({
      ...lists,
      'PATCH /api/v1/groups/3': () =>
        json(400, {
          error: {
            code: 'invalid',
            message: 'ring_timeout_s must be 5–600 seconds',
            field: 'ring_timeout_s',
          },
        }),
    });
    const user = userEvent.setup();
    renderPage(<GroupSettings group={sales} readOnly={false} />);
    await user.selectOptions(screen.getByLabelText('Ring strategy'), 'round_robin');
    const timeout = screen.getByLabelText('Ring timeout (seconds)');
    await user.clear(timeout);
    await user.type(timeout, '30');
    await user.click(screen.getByRole('button', { name: 'Save' }));

    const field = timeout.closest('.field') as HTMLElement;
    expect(await within(field).findByText('ring_timeout_s must be 5–600 seconds')).toBeVisible();
    expect(timeout).toHaveAttribute('aria-invalid', 'true');
    // Only the changed fields were sent, as the API's types.
    expect(requests.find((r) => r.method === 'PATCH')!.body).toEqual({
      ring_strategy: 'round_robin',
      ring_timeout_s: 30,
    });
    expect(requests.find((r) => r.method === 'PATCH')!.headers.get('X-CSRF-Token')).toBe(
      'csrf-test',
    );
    expect(timeout).toHaveValue(30);
    expect(screen.getByLabelText('Ring strategy')).toHaveValue('round_robin');
    expect(screen.queryByRole('alert', { name: /ring_timeout/ })).toBeNull();
  });

  it('puts a dotted destination error (fallback.number) on the Fallback routing picker', async () => {
    mockApi({
      ...lists,
      'PATCH /api/v1/groups/3': () =>
        json(400, {
          error: {
            code: 'invalid',
            message: 'number must be 1–32 digits',
            field: 'fallback.number',
          },
        }),
    });
    const user = userEvent.setup();
    renderPage(<GroupSettings group={sales} readOnly={false} />);
    const fallback = screen.getByRole('group', { name: 'Fallback routing' });
    await user.selectOptions(within(fallback).getByLabelText('Send calls to'), 'number');
    await user.type(within(fallback).getByLabelText('Number'), '+15551234');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await within(fallback).findByText('number must be 1–32 digits')).toBeInTheDocument();
    const closed = screen.getByRole('group', { name: 'Closed destination' });
    expect(within(closed).queryByText('number must be 1–32 digits')).toBeNull();
  });

  it('shows an error that names no field in the form banner', async () => {
    mockApi({
      ...lists,
      'PATCH /api/v1/groups/3': () =>
        json(503, { error: { code: 'unavailable', message: 'the store is busy', field: null } }),
    });
    const user = userEvent.setup();
    renderPage(<GroupSettings group={sales} readOnly={false} />);
    await user.clear(screen.getByLabelText('Group Name'));
    await user.type(screen.getByLabelText('Group Name'), 'Sales');
    await user.click(screen.getByRole('button', { name: 'Save' }));
    expect(await screen.findByRole('alert')).toHaveTextContent('the store is busy');
    expect(screen.getByLabelText('Group Name')).toHaveValue('Sales');
  });
});
