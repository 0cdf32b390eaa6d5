// Trunks: the list with each trunk's live registration state (refetched every 2 s while the
// page is open), create / edit, and delete with the referrers.
import { useState } from 'react';
import { Link } from 'react-router';
import { useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { Trunk } from '../../api/types';
import { useRole } from '../../auth/session';
import { DeleteDialog } from '../../components/DeleteDialog';
import { EditPage, NewPage, ResourceRoutes } from '../../components/ResourcePages';
import { Button, ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { formatTime } from '../common/format';
import { useAllTrunks } from '../common/names';
import { TrunkForm, type TrunkInput } from './TrunkForm';
import '../common/common.css';

const stateLabels: Record<NonNullable<Trunk['status']>['state'], string> = {
  disabled: 'Not registering',
  registering: 'Registering…',
  registered: 'Registered',
  failed: 'Failed',
};
const stateClass: Record<NonNullable<Trunk['status']>['state'], string> = {
  disabled: 'pill-off',
  registering: 'pill-warn',
  registered: 'pill-ok',
  failed: 'pill-error',
};

export function RegistrationState(props: { status: Trunk['status'] }) {
  const s = props.status;
  if (!s) return <span className="muted">Unknown (SIP not running)</span>;
  return (
    <span>
      <span className={`pill ${stateClass[s.state]}`}>{stateLabels[s.state]}</span>
      {s.last_status !== null ? (
        <span className="muted">
          {' '}
          {s.last_status} {s.last_reason ?? ''}
        </span>
      ) : s.last_reason ? (
        <span className="muted"> {s.last_reason}</span>
      ) : null}
      {s.state === 'registered' && s.expires_at ? (
        <span className="muted"> · until {formatTime(s.expires_at)}</span>
      ) : null}
    </span>
  );
}

function TrunkList() {
  const { admin } = useRole();
  const trunks = useAllTrunks({ refetchInterval: 2000 });
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState<Trunk | null>(null);

  return (
    <section>
      <PageHeader
        title="Trunks"
        actions={
          admin ? (
            <Link className="btn btn-primary" to="/trunks/new">
              Add
            </Link>
          ) : null
        }
      />
      {trunks.isPending ? <Loading what="trunks" /> : null}
      {trunks.isError ? <ErrorMessage error={trunks.error} /> : null}
      {trunks.data ? (
        trunks.data.items.length === 0 ? (
          <p className="muted">No trunks yet.</p>
        ) : (
          <table className="data">
            <caption className="muted">Registration state, live</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Host</th>
                <th scope="col">Transport</th>
                <th scope="col">Registration</th>
                <th scope="col">Active calls</th>
                <th scope="col">
                  <span className="muted">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {trunks.data.items.map((t) => (
                <tr key={t.id}>
                  <td>
                    <Link to={`/trunks/${t.id}`}>{t.name}</Link>
                  </td>
                  <td>{t.host ? `${t.host}:${t.port}` : <span className="muted">none</span>}</td>
                  <td>{t.transport.toUpperCase()}</td>
                  <td>
                    <RegistrationState status={t.status} />
                  </td>
                  <td>
                    {t.status?.active_calls ?? '—'}
                    {t.max_concurrent_calls > 0 ? ` / ${t.max_concurrent_calls}` : ''}
                  </td>
                  <td className="actions">
                    {admin ? (
                      <span className="row-actions">
                        <Link className="btn" to={`/trunks/${t.id}`}>
                          Edit
                        </Link>
                        <Button
                          aria-label={`Delete trunk ${t.name}`}
                          onPress={() => setDeleting(t)}
                        >
                          Delete
                        </Button>
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      {deleting ? (
        <DeleteDialog
          isOpen
          onOpenChange={(open) => {
            if (!open) setDeleting(null);
          }}
          title={`Delete trunk ${deleting.name}`}
          explanation={
            <p>
              Calls stop going out through <strong>{deleting.name}</strong>. Groups that use it are
              left without a trunk.
            </p>
          }
          onDelete={async (force) => {
            const r = await api.DELETE('/api/v1/trunks/{id}', {
              params: { path: { id: deleting.id }, query: force ? { force: 'true' } : {} },
            });
            return r.data;
          }}
          onDeleted={() => {
            setDeleting(null);
            void queryClient.invalidateQueries({ queryKey: ['trunks'] });
            void queryClient.invalidateQueries({ queryKey: ['routing-gaps'] });
          }}
        />
      ) : null}
    </section>
  );
}

function NewTrunk() {
  return (
    <NewPage
      title="Add trunk"
      listPath="/trunks"
      listKey={['trunks']}
      create={(body: TrunkInput) => data(api.POST('/api/v1/trunks', { body }))}
    >
      {(form) => <TrunkForm {...form} />}
    </NewPage>
  );
}

function EditTrunk() {
  return (
    <EditPage
      title="Trunk"
      what="the trunk"
      listPath="/trunks"
      listKey={['trunks']}
      itemKey={(id) => ['trunk', id]}
      fetch={(id) => data(api.GET('/api/v1/trunks/{id}', { params: { path: { id } } }))}
      update={(id, body: TrunkInput) =>
        data(api.PATCH('/api/v1/trunks/{id}', { params: { path: { id } }, body }))
      }
      refetchInterval={2000}
    >
      {(trunk, form) => (
        <>
          <p>
            Registration: <RegistrationState status={trunk.status} />
          </p>
          <TrunkForm trunk={trunk} {...form} />
        </>
      )}
    </EditPage>
  );
}

export default function TrunksPage() {
  return <ResourceRoutes list={<TrunkList />} create={<NewTrunk />} edit={<EditTrunk />} />;
}
