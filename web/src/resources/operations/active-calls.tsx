// Active calls: live, refetched every second so that a change shows within 2 s.
import { useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { formatTime } from '../common/format';
import { GroupName, UserName } from '../common/names';
import '../common/common.css';

const stateClass = {
  trying: 'pill-off',
  ringing: 'pill-warn',
  answered: 'pill-ok',
  ending: 'pill-off',
} as const;

export default function ActiveCallsPage() {
  const calls = useQuery({
    queryKey: ['calls'],
    queryFn: () => data(api.GET('/api/v1/calls')),
    refetchInterval: 1_000,
  });
  const items = calls.data?.items ?? [];
  return (
    <section>
      <PageHeader title="Active calls">
        <span className="muted">Live</span>
      </PageHeader>
      {calls.isPending ? <Loading what="active calls" /> : null}
      {calls.isError ? <ErrorMessage error={calls.error} /> : null}
      <div aria-live="polite">
        {calls.data ? (
          <p className="muted">
            {items.length === 0
              ? 'No call right now.'
              : `${items.length} call${items.length === 1 ? '' : 's'} now.`}
          </p>
        ) : null}
      </div>
      {items.length > 0 ? (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Direction</th>
              <th scope="col">State</th>
              <th scope="col">Caller</th>
              <th scope="col">Dialled</th>
              <th scope="col">Group</th>
              <th scope="col">Answered by</th>
              <th scope="col">Started</th>
            </tr>
          </thead>
          <tbody>
            {items.map((c) => (
              <tr key={c.id}>
                <td>{c.direction}</td>
                <td>
                  <span className={`pill ${stateClass[c.state]}`}>{c.state}</span>
                </td>
                <td>
                  {c.caller}
                  {c.caller_user !== null ? (
                    <span className="muted">
                      {' '}
                      (<UserName id={c.caller_user} />)
                    </span>
                  ) : null}
                </td>
                <td className="mono">{c.dialled}</td>
                <td>
                  {c.group !== null ? <GroupName id={c.group} /> : <span className="muted">—</span>}
                </td>
                <td>
                  {c.answered_by !== null ? (
                    <UserName id={c.answered_by} />
                  ) : (
                    <span className="muted">—</span>
                  )}
                </td>
                <td className="nowrap">{formatTime(c.started_at)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
    </section>
  );
}
