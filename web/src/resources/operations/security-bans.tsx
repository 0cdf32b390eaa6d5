// Security bans: sources banned after failed SIP authentications; an admin lifts one.
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { useRole } from '../../auth/session';
import { Button, ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { formatTime } from '../common/format';
import '../common/common.css';

export default function SecurityBansPage() {
  const { admin } = useRole();
  const queryClient = useQueryClient();
  const bans = useQuery({
    queryKey: ['bans'],
    queryFn: () => data(api.GET('/api/v1/security/bans')),
    refetchInterval: 10_000,
  });
  const lift = useMutation({
    mutationFn: (address: string) =>
      api.DELETE('/api/v1/security/bans/{address}', { params: { path: { address } } }),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['bans'] }),
  });
  const items = bans.data?.items ?? [];
  return (
    <section>
      <PageHeader title="Security bans" />
      {bans.isPending ? <Loading what="bans" /> : null}
      {bans.isError ? <ErrorMessage error={bans.error} /> : null}
      {lift.isError ? <ErrorMessage error={lift.error} /> : null}
      {bans.data && items.length === 0 ? <p className="muted">No source is banned.</p> : null}
      {items.length > 0 ? (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Address</th>
              <th scope="col">Since</th>
              <th scope="col">Until</th>
              <th scope="col">Reason</th>
              <th scope="col">
                <span className="muted">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((b) => (
              <tr key={b.address}>
                <td className="mono">{b.address}</td>
                <td className="nowrap">{formatTime(b.since)}</td>
                <td className="nowrap">{formatTime(b.until)}</td>
                <td>{b.reason}</td>
                <td className="actions">
                  {admin ? (
                    <Button
                      aria-label={`Lift ban on ${b.address}`}
                      isDisabled={lift.isPending}
                      onPress={() => lift.mutate(b.address)}
                    >
                      Lift
                    </Button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
