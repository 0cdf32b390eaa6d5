// Business hours: the schedules with their live state ("Open now until …"), create / edit
// with the week grid, holidays and override, delete with the groups that use it.
import { useState } from 'react';
import { Link } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { useRole } from '../../auth/session';
import { DeleteDialog } from '../../components/DeleteDialog';
import { EditPage, NewPage, ResourceRoutes } from '../../components/ResourcePages';
import { Button, ErrorMessage, Loading, PageHeader } from '../../components/ui';
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

function ScheduleList() {
  const { admin } = useRole();
  const queryClient = useQueryClient();
  const list = useQuery({
    queryKey: listKey,
    queryFn: () => data(api.GET('/api/v1/schedules', { params: { query: { limit: 1000 } } })),
  });
  const [deleting, setDeleting] = useState<Schedule | null>(null);
  return (
    <section>
      <PageHeader
        title="Business hours"
        actions={
          admin ? (
            <Link className="btn btn-primary" to="/business-hours/new">
              Add
            </Link>
          ) : null
        }
      />
      {list.isPending ? <Loading what="business hours" /> : null}
      {list.isError ? <ErrorMessage error={list.error} /> : null}
      {list.data ? (
        list.data.items.length === 0 ? (
          <p className="muted">No business hours yet. A group without them is always open.</p>
        ) : (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Time zone</th>
                <th scope="col">Now</th>
                <th scope="col">Override</th>
                <th scope="col">
                  <span className="muted">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((s) => (
                <tr key={s.id}>
                  <td>
                    <Link to={`/business-hours/${s.id}`}>{s.name}</Link>
                  </td>
                  <td>{s.timezone}</td>
                  <td>
                    <ScheduleStateText id={s.id} />
                  </td>
                  <td>{overrideLabels[s.override]}</td>
                  <td className="actions">
                    {admin ? (
                      <span className="row-actions">
                        <Link className="btn" to={`/business-hours/${s.id}`}>
                          Edit
                        </Link>
                        <Button
                          aria-label={`Delete business hours ${s.name}`}
                          onPress={() => setDeleting(s)}
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
          title={`Delete business hours ${deleting.name}`}
          explanation={<p>Groups that use these hours are left without them: always open.</p>}
          onDelete={async (force) => {
            await api.DELETE('/api/v1/schedules/{id}', {
              params: { path: { id: deleting.id }, query: force ? { force: 'true' } : {} },
            });
            return undefined;
          }}
          onDeleted={() => {
            setDeleting(null);
            void queryClient.invalidateQueries({ queryKey: listKey });
          }}
        />
      ) : null}
    </section>
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
