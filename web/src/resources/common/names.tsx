// Names of users, groups, IVR menus and trunks the API gives as ids. The query keys are the ones
// EntityPicker uses for the same lookups, so a name is fetched once for the whole console.
import { useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';

export function useUserName(id: number | null | undefined) {
  return useQuery({
    queryKey: ['user', id, 'name'],
    queryFn: async () =>
      (await data(api.GET('/api/v1/users/{id}', { params: { path: { id: id! } } }))).name,
    enabled: typeof id === 'number',
    staleTime: 60_000,
  });
}

export function useGroupName(id: number | null | undefined) {
  return useQuery({
    queryKey: ['group', id, 'name'],
    queryFn: async () =>
      (await data(api.GET('/api/v1/groups/{id}', { params: { path: { id: id! } } }))).name,
    enabled: typeof id === 'number',
    staleTime: 60_000,
  });
}

export function useIvrMenuName(id: number | null | undefined) {
  return useQuery({
    queryKey: ['ivr', id, 'name'],
    queryFn: async () =>
      (await data(api.GET('/api/v1/ivr-menus/{id}', { params: { path: { id: id! } } }))).name,
    enabled: typeof id === 'number',
    staleTime: 60_000,
  });
}

function NameOf(props: { id: number | null | undefined; q: ReturnType<typeof useUserName> }) {
  if (props.id === null || props.id === undefined) return <span className="muted">—</span>;
  if (props.q.isError) return <span className="muted">#{props.id} (deleted)</span>;
  return <>{props.q.data ?? `#${props.id}`}</>;
}

export function UserName(props: { id: number | null | undefined }) {
  const q = useUserName(props.id);
  return <NameOf id={props.id} q={q} />;
}

export function GroupName(props: { id: number | null | undefined }) {
  const q = useGroupName(props.id);
  return <NameOf id={props.id} q={q} />;
}

export function IvrMenuName(props: { id: number | null | undefined }) {
  const q = useIvrMenuName(props.id);
  return <NameOf id={props.id} q={q} />;
}

/// Every trunk (there are few): for pickers and for naming trunk ids.
export function useAllTrunks(options: { refetchInterval?: number } = {}) {
  return useQuery({
    queryKey: ['trunks'],
    queryFn: () => data(api.GET('/api/v1/trunks', { params: { query: { limit: 1000 } } })),
    ...(options.refetchInterval ? { refetchInterval: options.refetchInterval } : {}),
  });
}
