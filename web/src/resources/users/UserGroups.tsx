// The profile's Groups section: the user's groups, add one, remove with the icon.
import { useState } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { isApiError } from '../../api/errors';
import { EntityPicker } from '../../components/EntityPicker';
import { Button, ErrorMessage, IconButton, Loading } from '../../components/ui';

export function UserGroups(props: { userId: number; canEdit: boolean }) {
  const { userId } = props;
  const queryClient = useQueryClient();
  const [pick, setPick] = useState<number | null>(null);
  const [error, setError] = useState<string | null>(null);
  const memberships = useQuery({
    queryKey: ['users', userId, 'groups'],
    queryFn: () => data(api.GET('/api/v1/users/{id}/groups', { params: { path: { id: userId } } })),
  });
  const invalidate = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ['users', userId, 'groups'] }),
      queryClient.invalidateQueries({ queryKey: ['groups'] }),
    ]);

  const add = useMutation({
    mutationFn: (groupId: number) =>
      data(
        api.PUT('/api/v1/users/{id}/groups/{group_id}', {
          params: { path: { id: userId, group_id: groupId } },
          body: {},
        }),
      ),
    onSuccess: () => {
      setPick(null);
      return invalidate();
    },
    onError: (e) => setError(isApiError(e) ? e.message : 'Could not add the group'),
  });
  const remove = useMutation({
    mutationFn: (groupId: number) =>
      data(
        api.DELETE('/api/v1/users/{id}/groups/{group_id}', {
          params: { path: { id: userId, group_id: groupId } },
        }),
      ),
    onSuccess: invalidate,
    onError: (e) => setError(isApiError(e) ? e.message : 'Could not remove the group'),
  });

  const items = memberships.data?.items ?? [];
  return (
    <section className="panel" aria-labelledby="user-groups-heading">
      <h2 id="user-groups-heading">Groups</h2>
      {error ? (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      ) : null}
      {memberships.isPending ? <Loading what="groups" /> : null}
      {memberships.error ? <ErrorMessage error={memberships.error} /> : null}
      {memberships.data ? (
        items.length === 0 ? (
          <p className="muted">Not in any group.</p>
        ) : (
          <table className="data" aria-label="Groups of this user">
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Position</th>
                <th scope="col">Paused</th>
                {props.canEdit ? (
                  <th scope="col">
                    <span className="sr-only">Actions</span>
                  </th>
                ) : null}
              </tr>
            </thead>
            <tbody>
              {items.map((m) => (
                <tr key={m.group_id}>
                  <td>
                    <Link to={`/groups/${m.group_id}`}>{m.name}</Link>
                  </td>
                  <td>{m.position}</td>
                  <td>
                    {m.paused ? `Paused${m.pause_reason ? `: ${m.pause_reason}` : ''}` : 'No'}
                  </td>
                  {props.canEdit ? (
                    <td className="actions">
                      <IconButton
                        label={`Remove from ${m.name}`}
                        icon="✕"
                        isDisabled={remove.isPending}
                        onPress={() => {
                          setError(null);
                          remove.mutate(m.group_id);
                        }}
                      />
                    </td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      {props.canEdit ? (
        <div className="toolbar add-group">
          <EntityPicker
            kind="group"
            label="Add to group"
            value={pick}
            onChange={(id) => setPick(id)}
            exclude={items.map((m) => m.group_id)}
          />
          <Button
            variant="primary"
            isDisabled={pick === null || add.isPending}
            onPress={() => {
              setError(null);
              if (pick !== null) add.mutate(pick);
            }}
          >
            Add to group
          </Button>
        </div>
      ) : null}
    </section>
  );
}
