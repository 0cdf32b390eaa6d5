// An agent's groups, with pause and resume per group (PUT /users/{id}/groups/{group_id}).
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { useSession } from '../../auth/session';
import { ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { PauseControl } from './PauseControl';
import './me.css';

export default function MyGroups() {
  const { session } = useSession();
  const queryClient = useQueryClient();
  const id = session?.user?.id;
  const groups = useQuery({
    queryKey: ['users', id, 'groups'],
    queryFn: () => data(api.GET('/api/v1/users/{id}/groups', { params: { path: { id: id! } } })),
    enabled: id !== undefined,
  });
  const pause = useMutation({
    mutationFn: (v: { groupId: number; paused: boolean; reason?: string }) =>
      data(
        api.PUT('/api/v1/users/{id}/groups/{group_id}', {
          params: { path: { id: id!, group_id: v.groupId } },
          body: { paused: v.paused, ...(v.reason ? { pause_reason: v.reason } : {}) },
        }),
      ),
    onSuccess: () => queryClient.invalidateQueries({ queryKey: ['users', id] }),
  });

  return (
    <section>
      <PageHeader title="My groups" />
      {id === undefined ? <p>The bootstrap admin is in no group.</p> : null}
      {groups.isPending && id !== undefined ? <Loading what="groups" /> : null}
      {groups.error ? <ErrorMessage error={groups.error} /> : null}
      {pause.error ? <ErrorMessage error={pause.error} /> : null}
      {groups.data ? (
        groups.data.items.length === 0 ? (
          <p className="muted">You are not in any group.</p>
        ) : (
          <table className="data" aria-label="My groups">
            <thead>
              <tr>
                <th scope="col">Group</th>
                <th scope="col">Position</th>
                <th scope="col">Status</th>
                <th scope="col">
                  <span className="sr-only">Pause or resume</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {groups.data.items.map((m) => (
                <tr key={m.group_id}>
                  <td>{m.name}</td>
                  <td>{m.position}</td>
                  <td>
                    {m.paused ? (
                      <span className="pill pill-warn">
                        Paused{m.pause_reason ? `: ${m.pause_reason}` : ''}
                      </span>
                    ) : (
                      <span className="pill pill-ok">Taking calls</span>
                    )}
                  </td>
                  <td className="actions">
                    <PauseControl
                      paused={m.paused}
                      scope={`in ${m.name ?? `group ${m.group_id}`}`}
                      busy={pause.isPending}
                      onPause={(reason) =>
                        pause.mutate({ groupId: m.group_id, paused: true, reason })
                      }
                      onResume={() => pause.mutate({ groupId: m.group_id, paused: false })}
                    />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
    </section>
  );
}
