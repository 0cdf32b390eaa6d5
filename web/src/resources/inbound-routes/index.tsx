// Inbound Routes: the ordered list (Move up / Move down), create / edit, delete.
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { Destination } from '../../api/types';
import { useRole } from '../../auth/session';
import type { Column } from '../../components/DataTable';
import { OrderedList } from '../../components/OrderedList';
import { EditPage, NewPage, ResourceRoutes } from '../../components/ResourcePages';
import { GroupName, IvrMenuName, UserName, useAllTrunks } from '../common/names';
import { RouteForm, type InboundRoute, type InboundRouteInput } from './RouteForm';
import '../common/common.css';

const routesKey = ['inbound-routes'] as const;

export function DestinationText(props: { destination: Destination | null }) {
  const d = props.destination;
  if (!d) return <span className="muted">none</span>;
  switch (d.type) {
    case 'user':
      return (
        <>
          User <UserName id={d.id} />
        </>
      );
    case 'group':
      return (
        <>
          Group{' '}
          <Link to={`/groups/${d.id}`}>
            <GroupName id={d.id} />
          </Link>
        </>
      );
    case 'voicemail':
      return (
        <>Voicemail of {d.box === 'user' ? <UserName id={d.id} /> : <GroupName id={d.id} />}</>
      );
    case 'ivr':
      return (
        <>
          IVR menu{' '}
          <Link to={`/ivr-menus/${d.id}`}>
            <IvrMenuName id={d.id} />
          </Link>
        </>
      );
    case 'number':
      return <>Number {d.number}</>;
    case 'hangup':
      return <>Hang up</>;
  }
}

function RouteList() {
  const routes = useQuery({
    queryKey: routesKey,
    queryFn: () => data(api.GET('/api/v1/inbound-routes')),
  });
  const trunks = useAllTrunks();
  const trunkName = (id: number | null) =>
    id === null ? 'Any' : (trunks.data?.items.find((t) => t.id === id)?.name ?? `#${id} (deleted)`);
  const columns: Column<InboundRoute>[] = [
    { header: 'Name', cell: (r) => <Link to={`/inbound-routes/${r.id}`}>{r.name}</Link> },
    { header: 'DID', className: 'mono', cell: (r) => r.did },
    {
      header: 'Caller',
      className: 'mono',
      cell: (r) => r.caller ?? <span className="muted">any</span>,
    },
    { header: 'Trunk', cell: (r) => trunkName(r.trunk) },
    {
      header: 'Destination',
      cell: (r) => <DestinationText destination={r.destination as Destination} />,
    },
  ];
  return (
    <OrderedList
      title="Inbound Routes"
      path="/inbound-routes"
      what="inbound routes"
      query={routes}
      listKey={routesKey}
      setPosition={(id, position) =>
        data(
          api.PATCH('/api/v1/inbound-routes/{id}', {
            params: { path: { id } },
            body: { position },
          }),
        )
      }
      empty="No inbound routes yet."
      intro={
        <p className="muted">
          Routes are tried from the top; the first that matches a trunk call takes it.
        </p>
      }
      columns={columns}
      delete={{
        label: (r) => `Delete route ${r.name}`,
        title: (r) => `Delete inbound route ${r.name}`,
        explanation: () => <p>Calls it took go to the next matching route, or are refused.</p>,
        onDelete: async (r) => {
          await api.DELETE('/api/v1/inbound-routes/{id}', { params: { path: { id: r.id } } });
          return undefined;
        },
        changed: [routesKey, ['routing-gaps']],
      }}
    />
  );
}

function NewRoute() {
  return (
    <NewPage
      title="Add inbound route"
      listPath="/inbound-routes"
      listKey={routesKey}
      create={(body: InboundRouteInput) => data(api.POST('/api/v1/inbound-routes', { body }))}
    >
      {(form) => <RouteForm {...form} />}
    </NewPage>
  );
}

function EditRoute() {
  const { admin } = useRole();
  return (
    <EditPage
      title="Inbound route"
      what="the route"
      listPath="/inbound-routes"
      listKey={routesKey}
      itemKey={(id) => ['inbound-route', id]}
      fetch={(id) => data(api.GET('/api/v1/inbound-routes/{id}', { params: { path: { id } } }))}
      update={(id, body: InboundRouteInput) =>
        data(api.PATCH('/api/v1/inbound-routes/{id}', { params: { path: { id } }, body }))
      }
    >
      {(route, form) => (
        <>
          {!admin ? (
            <p>
              Destination: <DestinationText destination={route.destination as Destination} />
            </p>
          ) : null}
          <RouteForm route={route} {...form} />
        </>
      )}
    </EditPage>
  );
}

export default function InboundRoutesPage() {
  return <ResourceRoutes list={<RouteList />} create={<NewRoute />} edit={<EditRoute />} />;
}
