import { afterEach, describe, expect, it, vi } from 'vitest';
import { fireEvent, screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import CallRecordsPage, { csvHref } from './call-records';
import { json, mockApi, renderPage } from '../../test/render';

afterEach(() => vi.unstubAllGlobals());

const cdr = {
  id: 'c1',
  direction: 'outbound',
  caller_user: null,
  callee_user: null,
  caller: '1001',
  dialled: '2125551234',
  number_sent: '2125551234',
  caller_id: '010000',
  caller_id_group: null,
  trunk: 1,
  rule: 1,
  started_at: '2026-11-22T14:25:02.125Z',
  ringing_at: null,
  answered_at: null,
  ended_at: null,
  disposition: 'answered',
  hangup_cause: null,
  sip_status: 200,
  a_leg_call_id: 'a',
  b_leg_call_id: 'b',
  inbound_route: null,
  did: null,
  group: null,
  answered_by: null,
  wait_ms: 3000,
  talk_ms: 61000,
  fallback_reason: null,
  fallback_to: null,
  attempts: [],
};

describe('call records', () => {
  it('sends the filters as the query string and the CSV link carries the same filters', async () => {
    const requests = mockApi({
      'GET /api/v1/cdrs': (_req, url) =>
        json(200, {
          items: url.searchParams.get('cursor') ? [] : [cdr],
          next_cursor: url.searchParams.get('cursor') ? null : '812',
        }),
      'GET /api/v1/groups': () =>
        json(200, {
          items: [{ id: 3, name: 'Sales Dept', extension: null, member_count: 2 }],
          next_cursor: null,
        }),
      'GET /api/v1/groups/3': () => json(200, { id: 3, name: 'Sales Dept' }),
    });
    const user = userEvent.setup();
    renderPage(<CallRecordsPage />, { path: '/call-records' });
    expect(await screen.findByText('2125551234')).toBeInTheDocument();

    fireEvent.change(screen.getByLabelText('From'), { target: { value: '2026-11-22T15:00' } });
    await user.selectOptions(screen.getByLabelText('Direction'), 'outbound');
    await user.selectOptions(screen.getByLabelText('Disposition'), 'no_answer');
    await user.type(screen.getByRole('combobox', { name: 'Group' }), 'sal');
    await user.click(await screen.findByRole('option', { name: /Sales Dept/ }));
    await user.click(screen.getByRole('button', { name: 'Filter' }));

    const fromIso = new Date('2026-11-22T15:00').toISOString();
    const filtered = await waitFor(() => {
      const r = requests.filter((x) => x.url.pathname === '/api/v1/cdrs').at(-1)!;
      expect(r.url.searchParams.get('direction')).toBe('outbound');
      return r;
    });
    expect(filtered.url.searchParams.get('disposition')).toBe('no_answer');
    expect(filtered.url.searchParams.get('group')).toBe('3');
    expect(filtered.url.searchParams.get('from')).toBe(fromIso);
    expect(filtered.url.searchParams.has('to')).toBe(false);
    expect(filtered.url.searchParams.has('user')).toBe(false);

    const link = screen.getByRole('link', { name: 'Download CSV' });
    expect(link).toHaveAttribute('download');
    const href = new URL(link.getAttribute('href')!, 'http://x');
    expect(href.pathname).toBe('/api/v1/cdrs');
    expect(href.searchParams.get('format')).toBe('csv');
    for (const k of ['from', 'direction', 'disposition', 'group']) {
      expect(href.searchParams.get(k)).toBe(filtered.url.searchParams.get(k));
    }

    // The next page keeps the filters and adds the cursor.
    await waitFor(() => expect(screen.getByRole('button', { name: 'Next page' })).toBeEnabled());
    await user.click(screen.getByRole('button', { name: 'Next page' }));
    await waitFor(() => {
      const last = requests.filter((x) => x.url.pathname === '/api/v1/cdrs').at(-1)!;
      expect(last.url.searchParams.get('cursor')).toBe('812');
      expect(last.url.searchParams.get('direction')).toBe('outbound');
    });
  });

  it('shows a server error on the filter it names', async () => {
    mockApi({
      'GET /api/v1/cdrs': () =>
        json(400, {
          error: { code: 'invalid', message: 'to must be later than from', field: 'to' },
        }),
    });
    renderPage(<CallRecordsPage />, {
      path: '/call-records?from=2026-11-23T00:00:00.000Z&to=2026-11-22T00:00:00.000Z',
    });
    expect(await screen.findByText('to must be later than from')).toBeInTheDocument();
    expect(screen.getByLabelText('To')).toHaveAttribute('aria-invalid', 'true');
  });

  it('builds the CSV address with + encoded', () => {
    expect(csvHref({ from: '2026-11-22T15:00:00.5+01:00', user: '4' })).toBe(
      '/api/v1/cdrs?from=2026-11-22T15%3A00%3A00.5%2B01%3A00&user=4&format=csv',
    );
  });
  it('links a call a mailbox took to its message on the Voicemail page', async () => {
    mockApi({
      'GET /api/v1/cdrs': () =>
        json(200, {
          items: [
            { ...cdr, id: 'c2', disposition: 'voicemail', voicemail_id: 42 },
            { ...cdr, id: 'c3', dialled: '2125550000', voicemail_id: null },
          ],
          next_cursor: null,
        }),
    });
    renderPage(<CallRecordsPage />, { path: '/call-records' });
    const link = await screen.findByRole('link', { name: '(message 42)' });
    expect(link).toHaveAttribute('href', '/voicemail?message=42');
    expect(link.closest('td')).toHaveTextContent('voicemail (message 42)');
    expect(screen.getAllByRole('link', { name: /message/ })).toHaveLength(1);
  });
});
