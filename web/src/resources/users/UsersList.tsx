import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { useRole } from '../../auth/session';
import { Button, ErrorMessage, PageHeader, Pager } from '../../components/ui';
import { useCursorPages, useDebounced } from '../../components/useDebounced';

export const USERS_PAGE_SIZE = 50;
export const SEARCH_DEBOUNCE_MS = 150;

const roleLabels = { admin: 'Admin', supervisor: 'Supervisor', agent: 'Agent' } as const;

export function UsersList() {
  const { admin } = useRole();
  const navigate = useNavigate();
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), SEARCH_DEBOUNCE_MS);
  const pages = useCursorPages(q);

  const users = useQuery({
    queryKey: ['users', 'list', q, pages.cursor],
    queryFn: ({ signal }) =>
      data(
        api.GET('/api/v1/users', {
          params: {
            query: {
              ...(q ? { q } : {}),
              limit: USERS_PAGE_SIZE,
              ...(pages.cursor ? { cursor: pages.cursor } : {}),
            },
          },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <section>
      <PageHeader
        title="Users"
        actions={
          admin ? (
            <Button variant="primary" onPress={() => void navigate('/users/new')}>
              Add
            </Button>
          ) : null
        }
      />
      <div className="toolbar">
        <div className="search">
          <label htmlFor="users-search">Search users</label>
          <input
            id="users-search"
            type="search"
            placeholder="Name or e-mail"
            value={text}
            onChange={(e) => setText(e.target.value)}
            aria-describedby="users-search-hint"
          />
          <span id="users-search-hint" className="description">
            Matches part of the name or the e-mail.
          </span>
        </div>
      </div>
      {users.error ? <ErrorMessage error={users.error} /> : null}
      <table className="data" aria-label="Users" aria-busy={users.isFetching}>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">E-mail</th>
            <th scope="col">Extension</th>
            <th scope="col">Role</th>
            <th scope="col">Active</th>
          </tr>
        </thead>
        <tbody>
          {users.data?.items.map((u) => (
            <tr key={u.id}>
              <td>
                <Link to={`/users/${u.id}`}>{u.name}</Link>
              </td>
              <td>{u.email}</td>
              <td>{u.extension}</td>
              <td>{roleLabels[u.role]}</td>
              <td>
                {u.active ? (
                  <span className="pill pill-ok">Active</span>
                ) : (
                  <span className="pill pill-off">Inactive</span>
                )}
              </td>
            </tr>
          ))}
          {users.data && users.data.items.length === 0 ? (
            <tr>
              <td colSpan={5} className="muted">
                {q ? `No user matches “${q}”.` : 'No users yet.'}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <Pager label="Users pages" pages={pages} nextCursor={users.data?.next_cursor} />
    </section>
  );
}
