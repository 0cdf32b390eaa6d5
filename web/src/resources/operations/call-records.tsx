// Call records: filters (time range, group, user, direction, disposition) kept in the
// address, newest first in pages, and a CSV download of the same filters.
import { useState, type FormEvent } from 'react';
import { useSearchParams } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { isApiError } from '../../api/errors';
import type { Cdr } from '../../api/types';
import { DataTable, type Column } from '../../components/DataTable';
import { EntityPicker } from '../../components/EntityPicker';
import { Button, ErrorMessage, Loading, PageHeader, Pager } from '../../components/ui';
import { useCursorPages } from '../../components/useDebounced';
import { formatDuration, formatTime, localInputToIso } from '../common/format';
import { Disposition, partyColumns } from './call-columns';
import '../common/common.css';

type Direction = NonNullable<Cdr['direction']>;
type Disposition = NonNullable<Cdr['disposition']>;

const directions: Direction[] = ['internal', 'outbound', 'inbound'];
const dispositions: Disposition[] = [
  'answered',
  'busy',
  'no_answer',
  'failed',
  'cancelled',
  'interrupted',
  'abandoned',
  'closed',
  'no_agents',
  'fallback',
  'routing_gap',
  'voicemail_unavailable',
  'voicemail',
  'voicemail_full',
  'ivr',
];
const FILTERS = ['from', 'to', 'group', 'user', 'direction', 'disposition'] as const;
type FilterName = (typeof FILTERS)[number];
export type CdrFilters = Partial<Record<FilterName, string>>;

/// The filters of the address, as the API's query parameters.
export function filtersFrom(params: URLSearchParams): CdrFilters {
  const out: CdrFilters = {};
  for (const k of FILTERS) {
    const v = params.get(k);
    if (v) out[k] = v;
  }
  return out;
}

export function filterQuery(filters: CdrFilters): URLSearchParams {
  const q = new URLSearchParams();
  for (const k of FILTERS) {
    const v = filters[k];
    if (v) q.set(k, v);
  }
  return q;
}

export function csvHref(filters: CdrFilters): string {
  const q = filterQuery(filters);
  q.set('format', 'csv');
  return `/api/v1/cdrs?${q.toString()}`;
}

/// "2026-11-22T14:00:00.000Z" → the <input type="datetime-local"> value in local time.
function isoToLocalInput(iso: string | undefined): string {
  if (!iso) return '';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '';
  const pad = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

const label = (s: string) => s.replace(/_/g, ' ');

function FilterForm(props: {
  applied: CdrFilters;
  errorField: string | null;
  errorMessage: string | null;
  onApply: (f: CdrFilters) => void;
}) {
  const a = props.applied;
  const [from, setFrom] = useState(isoToLocalInput(a.from));
  const [to, setTo] = useState(isoToLocalInput(a.to));
  const [group, setGroup] = useState<number | null>(a.group ? Number(a.group) : null);
  const [user, setUser] = useState<number | null>(a.user ? Number(a.user) : null);
  const [direction, setDirection] = useState(a.direction ?? '');
  const [disposition, setDisposition] = useState(a.disposition ?? '');
  const err = (f: FilterName) =>
    props.errorField === f ? (
      <span className="field-error" id={`cdr-${f}-err`}>
        {props.errorMessage}
      </span>
    ) : null;
  const invalid = (f: FilterName) =>
    props.errorField === f
      ? { 'aria-invalid': true as const, 'aria-describedby': `cdr-${f}-err` }
      : {};

  function submit(e: FormEvent) {
    e.preventDefault();
    const f: CdrFilters = {};
    const fromIso = localInputToIso(from);
    const toIso = localInputToIso(to);
    if (fromIso) f.from = fromIso;
    if (toIso) f.to = toIso;
    if (group !== null) f.group = String(group);
    if (user !== null) f.user = String(user);
    if (direction) f.direction = direction;
    if (disposition) f.disposition = disposition;
    props.onApply(f);
  }

  return (
    <form className="form-wide panel" aria-label="Filter call records" onSubmit={submit}>
      <div className="filters">
        <div className="field">
          <label htmlFor="cdr-from">From</label>
          <input
            id="cdr-from"
            type="datetime-local"
            value={from}
            onChange={(e) => setFrom(e.target.value)}
            {...invalid('from')}
          />
          {err('from')}
        </div>
        <div className="field">
          <label htmlFor="cdr-to">To</label>
          <input
            id="cdr-to"
            type="datetime-local"
            value={to}
            onChange={(e) => setTo(e.target.value)}
            {...invalid('to')}
          />
          {err('to')}
        </div>
        <div className="field">
          <label htmlFor="cdr-direction">Direction</label>
          <select
            id="cdr-direction"
            value={direction}
            onChange={(e) => setDirection(e.target.value)}
            {...invalid('direction')}
          >
            <option value="">Any</option>
            {directions.map((d) => (
              <option key={d} value={d}>
                {d}
              </option>
            ))}
          </select>
          {err('direction')}
        </div>
        <EntityPicker
          kind="group"
          label="Group"
          value={group}
          onChange={(id) => setGroup(id)}
          errorMessage={
            props.errorField === 'group' ? (props.errorMessage ?? undefined) : undefined
          }
        />
        <EntityPicker
          kind="user"
          label="User"
          value={user}
          onChange={(id) => setUser(id)}
          errorMessage={props.errorField === 'user' ? (props.errorMessage ?? undefined) : undefined}
        />
        <div className="field">
          <label htmlFor="cdr-disposition">Disposition</label>
          <select
            id="cdr-disposition"
            value={disposition}
            onChange={(e) => setDisposition(e.target.value)}
            {...invalid('disposition')}
          >
            <option value="">Any</option>
            {dispositions.map((d) => (
              <option key={d} value={d}>
                {label(d)}
              </option>
            ))}
          </select>
          {err('disposition')}
        </div>
      </div>
      <div className="form-actions">
        <Button type="submit" variant="primary">
          Filter
        </Button>
        <Button
          onPress={() => {
            setFrom('');
            setTo('');
            setGroup(null);
            setUser(null);
            setDirection('');
            setDisposition('');
            props.onApply({});
          }}
        >
          Clear filters
        </Button>
      </div>
    </form>
  );
}

const columns: Column<Cdr>[] = [
  { header: 'Started', className: 'nowrap', cell: (c) => formatTime(c.started_at) },
  { header: 'Direction', cell: (c) => c.direction },
  ...partyColumns,
  {
    header: 'Disposition',
    cell: (c) => <Disposition disposition={c.disposition} voicemailId={c.voicemail_id} />,
  },
  { header: 'Wait', className: 'nowrap', cell: (c) => formatDuration(c.wait_ms) },
  { header: 'Talk', className: 'nowrap', cell: (c) => formatDuration(c.talk_ms) },
];

export default function CallRecordsPage() {
  const [params, setParams] = useSearchParams();
  const filters = filtersFrom(params);
  const filterKey = filterQuery(filters).toString();
  const pages = useCursorPages(filterKey);
  const records = useQuery({
    queryKey: ['cdrs', filterKey, pages.cursor],
    queryFn: async () => {
      const query = { ...filters, limit: 50, cursor: pages.cursor } as Record<string, unknown>;
      return await data(api.GET('/api/v1/cdrs', { params: { query: query as never } }));
    },
  });
  const error = records.error;
  const errorField =
    isApiError(error) && error.field && (FILTERS as readonly string[]).includes(error.field)
      ? error.field
      : null;
  const items = records.data?.items ?? [];

  return (
    <section>
      <PageHeader
        title="Call records"
        actions={
          <a className="btn" href={csvHref(filters)} download>
            Download CSV
          </a>
        }
      />
      <FilterForm
        key={filterKey}
        applied={filters}
        errorField={errorField}
        errorMessage={isApiError(error) ? error.message : null}
        onApply={(f) => setParams(filterQuery(f))}
      />
      {records.isPending ? <Loading what="call records" /> : null}
      {records.isError && !errorField ? <ErrorMessage error={error} /> : null}
      {records.data && items.length === 0 ? <p className="muted">No call records match.</p> : null}
      {items.length > 0 ? <DataTable columns={columns} rows={items} rowKey={(c) => c.id} /> : null}
      <Pager label="Call record pages" pages={pages} nextCursor={records.data?.next_cursor} />
    </section>
  );
}
