// Inbound Routes: the ordered list (Move up / Move down), create / edit, delete.
import { useState } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { Destination } from '../../api/types';
import { useRole } from '../../auth/session';
import { DeleteDialog } from '../../components/DeleteDialog';
import { EditPage, NewPage, ResourceRoutes } from '../../components/ResourcePages';
import { Button, ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { MoveButtons } from '../common/lists';
import { GroupName, UserName, useAllTrunks } from '../common/names';
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
    case 'number':
      return <>Number {d.number}</>;
    case 'hangup':
      return <>Hang up</>;
  }
}

function RouteList() {
  const { admin } = useRole();
  const routes = useQuery({
    queryKey: routesKey,
    queryFn: () => data(api.GET('/api/v1/inbound-routes')),
  });
  const trunks = useAllTrunks();
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState<InboundRoute | null>(null);
  const move = useMutation({
    mutationFn: (v: { id: number; position: number }) =>
      data(
        api.PATCH('/api/v1/inbound-routes/{id}', {
          params: { path: { id: v.id } },
          body: { position: v.position },
        }),
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: routesKey }),
  });
  const items = routes.data?.items ?? [];
  const trunkName = (id: number | null) =>
    id === null ? 'Any' : (trunks.data?.items.find((t) => t.id === id)?.name ?? `#${id} (deleted)`);

  return (
    <section>
      <PageHeader
        title="Inbound Routes"
        actions={
          admin ? (
            <Link className="btn btn-primary" to="/inbound-routes/new">
              Add
            </Link>
          ) : null
        }
      />
      <p className="muted">
        Routes are tried from the top; the first that matches a trunk call takes it.
      </p>
      {routes.isPending ? <Loading what="inbound routes" /> : null}
      {routes.isError ? <ErrorMessage error={routes.error} /> : null}
      {move.isError ? <ErrorMessage error={move.error} /> : null}
      {routes.data ? (
        items.length === 0 ? (
          <p className="muted">No inbound routes yet.</p>
        ) : (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Name</th>
                <th scope="col">DID</th>
                <th scope="col">Caller</th>
                <th scope="col">Trunk</th>
                <th scope="col">Destination</th>
                <th scope="col">
                  <span className="muted">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>{r.position}</td>
                  <td>
                    <Link to={`/inbound-routes/${r.id}`}>{r.name}</Link>
                  </td>
                  <td className="mono">{r.did}</td>
                  <td className="mono">{r.caller ?? <span className="muted">any</span>}</td>
                  <td>{trunkName(r.trunk)}</td>
                  <td>
                    <DestinationText destination={r.destination as Destination} />
                  </td>
                  <td className="actions">
                    {admin ? (
                      <span className="row-actions">
                        <MoveButtons
                          name={r.name}
                          position={r.position}
                          count={items.length}
                          isDisabled={move.isPending}
                          onMove={(position) => move.mutate({ id: r.id, position })}
                        />
                        <Link className="btn" to={`/inbound-routes/${r.id}`}>
                          Edit
                        </Link>
                        <Button
                          aria-label={`Delete route ${r.name}`}
                          onPress={() => setDeleting(r)}
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
          title={`Delete inbound route ${deleting.name}`}
          explanation={<p>Calls it took go to the next matching route, or are refused.</p>}
          onDelete={async () => {
            await api.DELETE('/api/v1/inbound-routes/{id}', {
              params: { path: { id: deleting.id } },
            });
            return undefined;
          }}
          onDeleted={() => {
            setDeleting(null);
            void queryClient.invalidateQueries({ queryKey: routesKey });
            void queryClient.invalidateQueries({ queryKey: ['routing-gaps'] });
          }}
        />
      ) : null}
    </section>
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
