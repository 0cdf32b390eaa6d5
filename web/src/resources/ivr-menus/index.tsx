// IVR Menus: the list, create / edit (MenuForm), and delete with the referrers.
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { Destination } from '../../api/types';
import type { DeleteResult } from '../../components/DeleteDialog';
import type { Column } from '../../components/DataTable';
import { EditPage, NewPage, ResourceList, ResourceRoutes } from '../../components/ResourcePages';
import { DestinationText } from '../inbound-routes';
import { MenuForm, ivrKeys, type IvrMenu, type IvrMenuInput } from './MenuForm';
import '../common/common.css';

const menusKey = ['ivr-menus'] as const;

function OptionsText(props: { menu: IvrMenu }) {
  const keys = Object.keys(props.menu.options).sort(
    (a, b) =>
      ivrKeys.indexOf(a as (typeof ivrKeys)[number]) -
      ivrKeys.indexOf(b as (typeof ivrKeys)[number]),
  );
  if (keys.length === 0) return <span className="muted">none</span>;
  return (
    <ul className="plain">
      {keys.map((k) => (
        <li key={k}>
          <span className="mono">{k}</span>:{' '}
          <DestinationText destination={props.menu.options[k] as Destination} />
        </li>
      ))}
    </ul>
  );
}

const columns: Column<IvrMenu>[] = [
  { header: 'Name', cell: (m) => <Link to={`/ivr-menus/${m.id}`}>{m.name}</Link> },
  { header: 'Options', cell: (m) => <OptionsText menu={m} /> },
  {
    header: 'Timeout',
    cell: (m) => (
      <>
        {m.timeout_s} s ×{m.repeat} →{' '}
        {m.timeout ? (
          <DestinationText destination={m.timeout as Destination} />
        ) : (
          <span className="muted">hang up</span>
        )}
      </>
    ),
  },
  { header: 'Direct dial', cell: (m) => (m.direct_dial ? 'Yes' : 'No') },
];

function MenuList() {
  const menus = useQuery({
    queryKey: menusKey,
    queryFn: () => data(api.GET('/api/v1/ivr-menus', { params: { query: { limit: 1000 } } })),
  });
  return (
    <ResourceList
      title="IVR Menus"
      path="/ivr-menus"
      what="IVR menus"
      query={menus}
      empty="No IVR menus yet."
      intro={
        <p className="muted">
          A menu plays a prompt and sends the call where the key the caller presses leads. Point an
          inbound route, a group&apos;s fallback or another menu at it.
        </p>
      }
      columns={columns}
      delete={{
        label: (m) => `Delete IVR menu ${m.name}`,
        title: (m) => `Delete IVR menu ${m.name}`,
        explanation: () => (
          <p>Routes, groups and menus that send calls to it are listed before anything changes.</p>
        ),
        onDelete: (m, force) =>
          data(
            api.DELETE('/api/v1/ivr-menus/{id}', {
              params: { path: { id: m.id }, query: force ? { force: 'true' } : {} },
            }),
          ) as Promise<DeleteResult | undefined>,
        changed: [menusKey, ['routing-gaps']],
      }}
    />
  );
}

function NewMenu() {
  return (
    <NewPage
      title="Add IVR menu"
      listPath="/ivr-menus"
      listKey={menusKey}
      create={(body: IvrMenuInput) => data(api.POST('/api/v1/ivr-menus', { body }))}
    >
      {(form) => <MenuForm {...form} />}
    </NewPage>
  );
}

function EditMenu() {
  return (
    <EditPage
      title="IVR menu"
      what="the IVR menu"
      listPath="/ivr-menus"
      listKey={menusKey}
      itemKey={(id) => ['ivr-menu', id]}
      fetch={(id) => data(api.GET('/api/v1/ivr-menus/{id}', { params: { path: { id } } }))}
      update={(id, body: IvrMenuInput) =>
        data(api.PUT('/api/v1/ivr-menus/{id}', { params: { path: { id } }, body }))
      }
      alsoChanged={(id) => [['ivr', id, 'name'], ['routing-gaps']]}
    >
      {(menu, form) => <MenuForm menu={menu} {...form} />}
    </EditPage>
  );
}

export default function IvrMenusPage() {
  return <ResourceRoutes list={<MenuList />} create={<NewMenu />} edit={<EditMenu />} />;
}
