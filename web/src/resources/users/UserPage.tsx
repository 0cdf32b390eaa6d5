import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { UserInput, UserPatch } from '../../api/types';
import { useRole } from '../../auth/session';
import { DeleteDialog } from '../../components/DeleteDialog';
import { Button, ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { UserForm, toUserInput, toUserPatch } from './UserForm';
import { ForwardingSection } from './ForwardingForm';
import { UserGroups } from './UserGroups';
import { UserGreeting } from './UserGreeting';

export function UserCreate() {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  return (
    <section>
      <PageHeader title="Add user" />
      <div className="panel">
        <UserForm
          submitLabel="Save"
          onCancel={() => void navigate('/users')}
          onSubmit={async (values) => {
            // The schema's UserInput (console password included once documented).
            const body: UserInput = toUserInput(values);
            const created = await data(api.POST('/api/v1/users', { body }));
            await queryClient.invalidateQueries({ queryKey: ['users'] });
            void navigate(`/users/${created.id}`);
          }}
        />
      </div>
    </section>
  );
}

export function UserPage() {
  const { id: idParam } = useParams();
  const id = Number(idParam);
  const { admin, pauseAnyone } = useRole();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState(false);
  const [toggleError, setToggleError] = useState<string | null>(null);

  const user = useQuery({
    queryKey: ['users', id],
    queryFn: () => data(api.GET('/api/v1/users/{id}', { params: { path: { id } } })),
    enabled: Number.isInteger(id) && id > 0,
  });

  /** Lifts a pause everywhere (one set by hand or by a group's auto-pause). */
  async function resume() {
    await data(
      api.PUT('/api/v1/users/{id}/status', {
        params: { path: { id } },
        body: { status: 'available' },
      }),
    );
    await queryClient.invalidateQueries({ queryKey: ['users', id] });
  }

  async function patch(body: UserPatch) {
    const updated = await data(api.PATCH('/api/v1/users/{id}', { params: { path: { id } }, body }));
    queryClient.setQueryData(['users', id], updated);
    await queryClient.invalidateQueries({ queryKey: ['users', 'list'] });
  }

  if (user.isPending) return <Loading what="user" />;
  if (user.error) return <ErrorMessage error={user.error} />;
  const u = user.data;

  return (
    <section>
      <PageHeader
        title={u.name}
        actions={
          admin ? (
            <>
              <Button
                onPress={() => {
                  setToggleError(null);
                  patch({ active: !u.active }).catch((e: unknown) =>
                    setToggleError(e instanceof Error ? e.message : 'Failed'),
                  );
                }}
              >
                {u.active ? 'Deactivate' : 'Activate'}
              </Button>
              <Button variant="danger" onPress={() => setDeleting(true)}>
                Delete
              </Button>
            </>
          ) : null
        }
      >
        {u.active ? null : <span className="pill pill-off">Inactive</span>}
        {u.paused ? (
          <span className="pill pill-off">
            Paused in all groups{u.pause_reason ? `: ${u.pause_reason}` : ''}
          </span>
        ) : null}
        {u.paused && pauseAnyone ? (
          <Button
            onPress={() => {
              setToggleError(null);
              resume().catch((e: unknown) =>
                setToggleError(e instanceof Error ? e.message : 'Failed'),
              );
            }}
          >
            Resume
          </Button>
        ) : null}
      </PageHeader>
      {toggleError ? (
        <div className="banner banner-error" role="alert">
          {toggleError}
        </div>
      ) : null}
      <div className="user-columns">
        <div className="panel">
          <UserForm
            key={`${u.id}-${String(u.active)}`}
            user={u}
            readOnly={!admin}
            submitLabel="Save"
            onSubmit={(values, dirty) => patch(toUserPatch(values, dirty))}
          />
        </div>
        <div>
          <UserGroups userId={id} canEdit={admin} />
          <ForwardingSection userId={id} readOnly={!admin} />
          {admin ? <UserGreeting userId={id} own={false} readOnly={false} /> : null}
        </div>
      </div>
      <DeleteDialog
        isOpen={deleting}
        onOpenChange={setDeleting}
        title={`Delete ${u.name}?`}
        explanation={
          <p>
            The user, its group memberships and its API tokens are deleted. To keep the history and
            stop sign-ins only, deactivate instead.
          </p>
        }
        onDelete={(force) =>
          data(
            api.DELETE('/api/v1/users/{id}', {
              params: { path: { id }, query: force ? { force: 'true' } : {} },
            }),
          )
        }
        onDeleted={() => {
          queryClient.removeQueries({ queryKey: ['users', id] });
          void queryClient.invalidateQueries({ queryKey: ['users', 'list'] });
          void navigate('/users');
        }}
      />
    </section>
  );
}
