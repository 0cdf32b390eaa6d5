// Routing gaps: every reference left pointing at a deleted object, each with a link to the
// page where it is fixed, and any loop of automatic exits (groups and IVR menus).
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { RoutingGap } from '../../api/types';
import { ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { GroupName, IvrMenuName } from '../common/names';
import '../common/common.css';

const holderKinds: Record<RoutingGap['holder']['kind'], string> = {
  group: 'User group',
  outbound_rule: 'Outbound rule',
  inbound_route: 'Inbound route',
  user: 'User',
  ivr_menu: 'IVR menu',
};
const optionLabels = Object.fromEntries(
  [...'0123456789*#'].map((k) => [`options.${k}`, `Key ${k}`]),
) as Record<`options.${string}`, string>;
const fieldLabels: Record<RoutingGap['field'], string> = {
  fallback: 'Fallback routing',
  closed_destination: 'Closed destination',
  caller_groups: 'Caller User Group',
  caller_users: 'Caller users',
  trunks: 'Trunk order',
  destination: 'Destination',
  trunk: 'Trunk',
  'forwarding.always': 'Forward always',
  'forwarding.busy': 'Forward when busy',
  'forwarding.no_answer': 'Forward when not answered',
  timeout: 'Timeout destination',
  invalid: 'Invalid destination',
  ...optionLabels,
} as Record<RoutingGap['field'], string>;
const missingKinds: Record<RoutingGap['missing']['kind'], string> = {
  user: 'user',
  group: 'user group',
  trunk: 'trunk',
  ivr_menu: 'IVR menu',
};

/// The console page where the holder of a gap is edited.
export function holderUrl(holder: RoutingGap['holder']): string {
  switch (holder.kind) {
    case 'group':
      return `/groups/${holder.id}`;
    case 'outbound_rule':
      return `/outbound-rules/${holder.id}`;
    case 'inbound_route':
      return `/inbound-routes/${holder.id}`;
    case 'user':
      return `/users/${holder.id}`;
    case 'ivr_menu':
      return `/ivr-menus/${holder.id}`;
  }
}

type CycleNode = { kind: 'group' | 'ivr_menu'; id: number };

function NodeName(props: { node: CycleNode }) {
  return props.node.kind === 'group' ? (
    <GroupName id={props.node.id} />
  ) : (
    <>
      IVR <IvrMenuName id={props.node.id} />
    </>
  );
}

function NodeLink(props: { node: CycleNode }) {
  const path = props.node.kind === 'group' ? 'groups' : 'ivr-menus';
  return (
    <Link to={`/${path}/${props.node.id}`}>
      <NodeName node={props.node} />
    </Link>
  );
}

export default function RoutingGapsPage() {
  const gaps = useQuery({
    queryKey: ['routing-gaps'],
    queryFn: () => data(api.GET('/api/v1/routing-gaps')),
    refetchInterval: 10_000,
  });
  const items = gaps.data?.items ?? [];
  const cycles = gaps.data?.cycles ?? [];
  return (
    <section>
      <PageHeader title="Routing gaps" />
      <p className="muted">
        References left pointing at something deleted: calls that reach them fail. Open each one and
        choose a new target, or clear it.
      </p>
      {gaps.isPending ? <Loading what="routing gaps" /> : null}
      {gaps.isError ? <ErrorMessage error={gaps.error} /> : null}
      {gaps.data && items.length === 0 && cycles.length === 0 ? (
        <p className="banner banner-ok" role="status">
          No routing gaps: every reference points at something that exists.
        </p>
      ) : null}
      {items.length > 0 ? (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Where</th>
              <th scope="col">Setting</th>
              <th scope="col">Points at (deleted)</th>
              <th scope="col">
                <span className="muted">Fix</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((g, i) => (
              <tr
                key={`${g.holder.kind}-${g.holder.id}-${g.field}-${g.missing.kind}-${g.missing.id}-${i}`}
              >
                <td>
                  {holderKinds[g.holder.kind]} <strong>{g.holder.name}</strong>
                </td>
                <td>{fieldLabels[g.field]}</td>
                <td>
                  {missingKinds[g.missing.kind]} #{g.missing.id}
                </td>
                <td className="actions">
                  <Link
                    className="btn"
                    to={holderUrl(g.holder)}
                    aria-label={`Fix ${fieldLabels[g.field]} of ${holderKinds[g.holder.kind].toLowerCase()} ${g.holder.name}`}
                  >
                    Fix
                  </Link>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      {cycles.length > 0 ? (
        <section className="panel">
          <h2>Loops of automatic exits</h2>
          <p className="muted">
            Each group&apos;s fallback or closed destination, and each IVR menu&apos;s timeout or
            invalid destination, leads back to the first without the caller pressing a key. Change
            one of them.
          </p>
          <ul>
            {cycles.map((c) => (
              <li key={c.nodes.map((n) => `${n.kind}${n.id}`).join('-')}>
                {c.nodes.map((n) => (
                  <span key={`${n.kind}${n.id}`}>
                    <NodeLink node={n} /> →{' '}
                  </span>
                ))}
                {c.nodes[0] !== undefined ? <NodeName node={c.nodes[0]} /> : null}
              </li>
            ))}
          </ul>
        </section>
      ) : null}
    </section>
  );
}
