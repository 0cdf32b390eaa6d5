// Business hours: the schedules with their live state ("Open now until …"), create / edit
// with the week grid, holidays and override, delete with the groups that use it.
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { Column } from '../../components/DataTable';
import { EditPage, NewPage, ResourceList, ResourceRoutes } from '../../components/ResourcePages';
import { formatTime } from '../common/format';
import { ScheduleForm, type Schedule, type ScheduleInput } from './ScheduleForm';
import '../common/common.css';

const listKey = ['schedules'] as const;

export function ScheduleStateText(props: { id: number }) {
  const state = useQuery({
    queryKey: ['schedule-state', props.id],
    queryFn: () =>
      data(api.GET('/api/v1/schedules/{id}/state', { params: { path: { id: props.id } } })),
    refetchInterval: 15_000,
  });
  if (state.isPending) return <span className="muted">…</span>;
  if (state.isError) return <span className="muted">unknown</span>;
  const s = state.data;
  const why =
    s.reason === 'override'
      ? ' (override)'
      : s.reason === 'holiday'
        ? ` (holiday${s.holiday ? `: ${s.holiday}` : ''})`
        : '';
  if (s.open) {
    return (
      <span className="state-open">
        {s.until ? `Open now until ${formatTime(s.until)}` : 'Open now'}
        {why}
      </span>
    );
  }
  return (
    <span className="state-closed">
      {s.until ? `Closed until ${formatTime(s.until)}` : 'Closed'}
      {why}
    </span>
  );
}

const overrideLabels: Record<Schedule['override'], string> = {
  auto: 'None',
  open: 'Held open',
  closed: 'Held closed',
};

const columns: Column<Schedule>[] = [
  { header: 'Name', cell: (s) => <Link to={`/business-hours/${s.id}`}>{s.name}</Link> },
  { header: 'Time zone', cell: (s) => s.timezone },
  { header: 'Now', cell: (s) => <ScheduleStateText id={s.id} /> },
  { header: 'Override', cell: (s) => overrideLabels[s.override] },
];

function ScheduleList() {
  const list = useQuery({
    queryKey: listKey,
    queryFn: () => data(api.GET('/api/v1/schedules', { params: { query: { limit: 1000 } } })),
  });
  return (
    <ResourceList
      title="Business hours"
      path="/business-hours"
      what="business hours"
      query={list}
      empty="No business hours yet. A group without them is always open."
      columns={columns}
      delete={{
        label: (s) => `Delete business hours ${s.name}`,
        title: (s) => `Delete business hours ${s.name}`,
        explanation: () => <p>Groups that use these hours are left without them: always open.</p>,
        onDelete: async (s, force) => {
          await api.DELETE('/api/v1/schedules/{id}', {
            params: { path: { id: s.id }, query: force ? { force: 'true' } : {} },
          });
          return undefined;
        },
        changed: [listKey],
      }}
    />
  );
}

function NewSchedule() {
  return (
    <NewPage
      title="Add business hours"
      listPath="/business-hours"
      listKey={listKey}
      create={(body: ScheduleInput) => data(api.POST('/api/v1/schedules', { body }))}
    >
      {(form) => <ScheduleForm {...form} />}
    </NewPage>
  );
}

function EditSchedule() {
  return (
    <EditPage
      title="Business hours"
      what="the business hours"
      listPath="/business-hours"
      listKey={listKey}
      itemKey={(id) => ['schedule', id]}
      fetch={(id) => data(api.GET('/api/v1/schedules/{id}', { params: { path: { id } } }))}
      update={(id, body: ScheduleInput) =>
        data(api.PATCH('/api/v1/schedules/{id}', { params: { path: { id } }, body }))
      }
      alsoChanged={(id) => [['schedule-state', id]]}
      header={(schedule) => <ScheduleStateText id={schedule.id} />}
    >
      {(schedule, form) => <ScheduleForm schedule={schedule} {...form} />}
    </EditPage>
  );
}

export default function SchedulesPage() {
  return (
    <ResourceRoutes list={<ScheduleList />} create={<NewSchedule />} edit={<EditSchedule />} />
  );
}
