// Registrations: the phones registered now (unexpired bindings).
import { useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { formatTime } from '../common/format';
import { UserName } from '../common/names';
import '../common/common.css';

export default function RegistrationsPage() {
  const regs = useQuery({
    queryKey: ['registrations'],
    queryFn: () => data(api.GET('/api/v1/registrations')),
    refetchInterval: 5_000,
  });
  const items = regs.data?.items ?? [];
  return (
    <section>
      <PageHeader title="Registrations" />
      {regs.isPending ? <Loading what="registrations" /> : null}
      {regs.isError ? <ErrorMessage error={regs.error} /> : null}
      {regs.data && items.length === 0 ? <p className="muted">No phone is registered.</p> : null}
      {items.length > 0 ? (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Extension</th>
              <th scope="col">Contact</th>
              <th scope="col">Source</th>
              <th scope="col">Transport</th>
              <th scope="col">User agent</th>
              <th scope="col">Expires</th>
            </tr>
          </thead>
          <tbody>
            {items.map((r) => (
              <tr key={`${r.user_id}-${r.contact}-${r.instance_id ?? ''}`}>
                <td>
                  <UserName id={r.user_id} />
                </td>
                <td>{r.extension ?? '—'}</td>
                <td className="mono cell-wrap">{r.contact}</td>
                <td className="mono">{r.source}</td>
                <td>{r.transport.toUpperCase()}</td>
                <td className="cell-wrap">{r.user_agent || <span className="muted">—</span>}</td>
                <td className="nowrap">{formatTime(r.expires_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
