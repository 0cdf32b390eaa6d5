// Active calls: live, refetched every second so that a change shows within 2 s.
import { useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { components } from '../../api/schema';
import { DataTable, type Column } from '../../components/DataTable';
import { ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { formatTime } from '../common/format';
import { partyColumns } from './call-columns';
import '../common/common.css';

const stateClass = {
  trying: 'pill-off',
  ringing: 'pill-warn',
  answered: 'pill-ok',
  ending: 'pill-off',
} as const;

type Call = components['schemas']['Call'];

const columns: Column<Call>[] = [
  { header: 'Direction', cell: (c) => c.direction },
  {
    header: 'State',
    cell: (c) => <span className={`pill ${stateClass[c.state]}`}>{c.state}</span>,
  },
  ...partyColumns,
  { header: 'Started', className: 'nowrap', cell: (c) => formatTime(c.started_at) },
];

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
      {items.length > 0 ? <DataTable columns={columns} rows={items} rowKey={(c) => c.id} /> : null}
    </section>
  );
}
