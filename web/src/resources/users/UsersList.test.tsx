import { afterEach, describe, expect, it, vi } from 'vitest';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import UsersResource from './index';
import { adminUser, json, mockApi, renderPage } from '../../test/render';
import { USERS_PAGE_SIZE } from './UsersList';

const ana = { ...adminUser, id: 2, name: 'Ana Lima', email: 'ana@example.com', role: 'agent' };

afterEach(() => vi.unstubAllGlobals());

describe('Users list', () => {
  it('searches on the server once typing stops, not per keystroke', async () => {
    const requests = mockApi({
      'GET /api/v1/users': (_req, url) =>
        json(200, {
          items: url.searchParams.get('q') === 'ana' ? [ana] : [adminUser, ana],
          next_cursor: null,
        }),
    });
    const user = userEvent.setup();
    renderPage(<UsersResource />, { path: '/users', route: '/users/*' });
    expect(await screen.findByRole('link', { name: 'Ada Admin' })).toBeInTheDocument();

    await user.type(screen.getByLabelText('Search users'), 'ana');
    await waitFor(() => expect(screen.queryByRole('link', { name: 'Ada Admin' })).toBeNull());
    expect(screen.getByRole('link', { name: 'Ana Lima' })).toHaveAttribute('href', '/users/2');

    const queries = requests.map((r) => r.url.searchParams.get('q'));
    // The first page without a query, then one search: no request for "a" or "an".
    expect(queries).toEqual([null, 'ana']);
    for (const r of requests) {
      expect(r.url.searchParams.get('limit')).toBe(String(USERS_PAGE_SIZE));
    }
  });

  it('pages with the server cursor, forward and back', async () => {
    const requests = mockApi({
      'GET /api/v1/users': (_req, url) =>
        url.searchParams.get('cursor') === '50'
          ? json(200, { items: [ana], next_cursor: null })
          : json(200, { items: [adminUser], next_cursor: '50' }),
    });
    const user = userEvent.setup();
    renderPage(<UsersResource />, { path: '/users', route: '/users/*' });
    await screen.findByRole('link', { name: 'Ada Admin' });
    expect(screen.getByRole('button', { name: 'Previous page' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Next page' }));
    expect(await screen.findByRole('link', { name: 'Ana Lima' })).toBeInTheDocument();
    expect(requests.at(-1)!.url.searchParams.get('cursor')).toBe('50');
    expect(screen.getByRole('button', { name: 'Next page' })).toBeDisabled();

    await user.click(screen.getByRole('button', { name: 'Previous page' }));
    expect(await screen.findByRole('link', { name: 'Ada Admin' })).toBeInTheDocument();
  });
});
