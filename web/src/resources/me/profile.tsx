// An agent's own profile: who it is, its availability (GET/PUT /users/{id}/status): a
// pause, or do-not-disturb, and its call forwarding (GET/PUT /users/{id}/forwarding). Only
// those are the agent's to change; the rest is set by an admin.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { useSession } from '../../auth/session';
import { ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { ForwardingSection } from '../users/ForwardingForm';
import { UserGreeting } from '../users/UserGreeting';
import { PauseControl } from './PauseControl';
import './me.css';

const statusLabels = {
  available: 'Available',
  paused: 'Paused',
  dnd: 'Do not disturb',
  ringing: 'Ringing',
  busy: 'On a call',
  wrap_up: 'Wrap-up',
} as const;

export default function MyProfile() {
  const { session } = useSession();
  const queryClient = useQueryClient();
  const id = session?.user?.id;
  const status = useQuery({
    queryKey: ['users', id, 'status'],
    queryFn: () => data(api.GET('/api/v1/users/{id}/status', { params: { path: { id: id! } } })),
    enabled: id !== undefined,
    refetchInterval: 5_000,
  });
  const set = useMutation({
    mutationFn: (
      body: { status: 'available' } | { status: 'dnd' } | { status: 'paused'; reason?: string },
    ) => data(api.PUT('/api/v1/users/{id}/status', { params: { path: { id: id! } }, body })),
    onSuccess: (s) => queryClient.setQueryData(['users', id, 'status'], s),
  });

  const user = session?.user;
  if (!user) {
    return (
      <section>
        <PageHeader title="My profile" />
        <p>The bootstrap admin has no profile: it is not a user.</p>
      </section>
    );
  }
  return (
    <section>
      <PageHeader title="My profile" />
      <div className="panel">
        <dl className="facts">
          <dt>Name</dt>
          <dd>{user.name}</dd>
          <dt>E-mail</dt>
          <dd>{user.email}</dd>
          <dt>Extension</dt>
          <dd>{user.extension}</dd>
          <dt>Caller ID</dt>
          <dd>{user.caller_id ?? '—'}</dd>
          <dt>Role</dt>
          <dd>{session.role}</dd>
        </dl>
        <p className="muted">An administrator changes these and your passwords.</p>
      </div>
      <div className="panel">
        <h2>Status</h2>
        {status.isPending ? <Loading what="status" /> : null}
        {status.error ? <ErrorMessage error={status.error} /> : null}
        {set.error ? <ErrorMessage error={set.error} /> : null}
        {status.data ? (
          <>
            <p role="status">
              <strong>{statusLabels[status.data.status]}</strong>
              {status.data.reason ? ` — ${status.data.reason}` : ''}
              {status.data.paused_in_groups.length > 0
                ? ` · paused in ${status.data.paused_in_groups.length} group(s)`
                : ''}
            </p>
            <PauseControl
              paused={status.data.status === 'paused'}
              scope="in every group"
              busy={set.isPending}
              onPause={(reason) => set.mutate({ status: 'paused', ...(reason ? { reason } : {}) })}
              onResume={() => set.mutate({ status: 'available' })}
            />
            <button
              type="button"
              disabled={set.isPending}
              onClick={() =>
                set.mutate(
                  status.data.status === 'dnd' ? { status: 'available' } : { status: 'dnd' },
                )
              }
            >
              {status.data.status === 'dnd' ? 'End do not disturb' : 'Do not disturb'}
            </button>
          </>
        ) : null}
      </div>
      <ForwardingSection userId={user.id} readOnly={false} />
      <UserGreeting userId={user.id} own readOnly={false} />
    </section>
  );
}
