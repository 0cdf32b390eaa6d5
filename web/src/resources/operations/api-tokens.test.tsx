import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import ApiTokensPage from './api-tokens';
import { adminUser, json, mockApi, renderPage, sessionFor } from '../../test/render';

afterEach(() => vi.unstubAllGlobals());

const SECRET = 'cht_0123456789abcdef0123456789abcdef0123456789abcdef';

describe('API tokens', () => {
  it('issues a token for a user and shows the secret once', async () => {
    let tokens: unknown[] = [];
    const requests = mockApi({
      'GET /api/v1/tokens': () => json(200, { items: tokens, next_cursor: null }),
      'GET /api/v1/users': () =>
        json(200, {
          items: [{ id: 5, name: 'Elena Rossi', email: 'elena@example.com', extension: '1005' }],
          next_cursor: null,
        }),
      'GET /api/v1/users/5': () => json(200, { id: 5, name: 'Elena Rossi' }),
      'POST /api/v1/tokens': () => {
        tokens = [{ id: 7, user_id: 5, created_at: '2026-11-22T14:25:02Z' }];
        return json(201, { id: 7, user_id: 5, created_at: '2026-11-22T14:25:02Z', token: SECRET });
      },
    });
    const user = userEvent.setup();
    renderPage(<ApiTokensPage />);
    expect(await screen.findByText('No tokens.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Issue' }));
    const dialog = await screen.findByRole('dialog');
    await user.type(screen.getByRole('combobox', { name: 'User' }), 'ele');
    await user.click(await screen.findByRole('option', { name: /Elena Rossi/ }));
    await user.click(screen.getByRole('button', { name: 'Issue' }));

    expect(await screen.findByText(SECRET)).toBeInTheDocument();
    expect(requests.find((r) => r.method === 'POST')?.body).toEqual({ user_id: 5 });
    expect(dialog).toHaveTextContent('shown only now');
    await user.click(screen.getByRole('button', { name: 'Copy' }));
    // user-event stands in for the clipboard.
    expect(await navigator.clipboard.readText()).toBe(SECRET);
    expect(await screen.findByText('Copied to the clipboard.')).toBeInTheDocument();

    await user.click(screen.getByRole('button', { name: 'Done' }));
    await waitFor(() => expect(screen.queryByRole('dialog')).toBeNull());
    // The list shows the new token, never its secret, and reopening does not show it again.
    expect(await screen.findByText('#7')).toBeInTheDocument();
    expect(screen.queryByText(SECRET)).toBeNull();
    await user.click(screen.getByRole('button', { name: 'Issue' }));
    await screen.findByRole('dialog');
    expect(screen.queryByText(SECRET)).toBeNull();
    expect(screen.getByRole('combobox', { name: 'User' })).toHaveValue('');
  });

  it('revokes a token', async () => {
    const requests = mockApi({
      'GET /api/v1/tokens': () =>
        json(200, {
          items: [{ id: 3, user_id: 1, created_at: '2026-11-22T14:25:02Z' }],
          next_cursor: null,
        }),
      'GET /api/v1/users/1': () => json(200, { id: 1, name: 'Ada Admin' }),
      'DELETE /api/v1/tokens/3': () => new Response(null, { status: 204 }),
    });
    const user = userEvent.setup();
    renderPage(<ApiTokensPage />);
    await user.click(await screen.findByRole('button', { name: 'Revoke token #3' }));
    await user.click(await screen.findByRole('button', { name: 'Revoke' }));
    await waitFor(() =>
      expect(
        requests.some((r) => r.method === 'DELETE' && r.url.pathname === '/api/v1/tokens/3'),
      ).toBe(true),
    );
  });

  it('offers no Issue button to a supervisor', async () => {
    mockApi({ 'GET /api/v1/tokens': () => json(200, { items: [], next_cursor: null }) });
    renderPage(<ApiTokensPage />, {
      session: sessionFor({ ...adminUser, role: 'supervisor' }, 'supervisor'),
    });
    expect(await screen.findByText('No tokens.')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Issue' })).toBeNull();
  });
});
