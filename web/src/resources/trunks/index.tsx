// Trunks: the list with each trunk's live registration state (refetched every 2 s while the
// page is open), create / edit, and delete with the referrers.
import { Link } from 'react-router';
import { api, data } from '../../api/client';
import type { Trunk } from '../../api/types';
import type { Column } from '../../components/DataTable';
import { EditPage, NewPage, ResourceList, ResourceRoutes } from '../../components/ResourcePages';
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

const columns: Column<Trunk>[] = [
  { header: 'Name', cell: (t) => <Link to={`/trunks/${t.id}`}>{t.name}</Link> },
  {
    header: 'Host',
    cell: (t) => (t.host ? `${t.host}:${t.port}` : <span className="muted">none</span>),
  },
  { header: 'Transport', cell: (t) => t.transport.toUpperCase() },
  { header: 'Registration', cell: (t) => <RegistrationState status={t.status} /> },
  {
    header: 'Active calls',
    cell: (t) => (
      <>
        {t.status?.active_calls ?? '—'}
        {t.max_concurrent_calls > 0 ? ` / ${t.max_concurrent_calls}` : ''}
      </>
    ),
  },
];

function TrunkList() {
  const trunks = useAllTrunks({ refetchInterval: 2000 });
  return (
    <ResourceList
      title="Trunks"
      path="/trunks"
      what="trunks"
      query={trunks}
      empty="No trunks yet."
      caption="Registration state, live"
      columns={columns}
      delete={{
        label: (t) => `Delete trunk ${t.name}`,
        title: (t) => `Delete trunk ${t.name}`,
        explanation: (t) => (
          <p>
            Calls stop going out through <strong>{t.name}</strong>. Groups that use it are left
            without a trunk.
          </p>
        ),
        onDelete: async (t, force) => {
          const r = await api.DELETE('/api/v1/trunks/{id}', {
            params: { path: { id: t.id }, query: force ? { force: 'true' } : {} },
          });
          return r.data;
        },
        changed: [['trunks'], ['routing-gaps']],
      }}
    />
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
