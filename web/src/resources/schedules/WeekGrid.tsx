// The week grid editor of business hours: a row per day, Monday to Sunday, each with its
// open intervals (from / to, local time of the schedule's zone). An interval whose `to` is at
// or before its `from` runs overnight into the next day; `to` equal to `from` is the whole
// day. The API's `weekly` list groups days sharing one interval: weekToWeekly regroups the
// grid that way, weekFromWeekly spreads it back out.
import type { components } from '../../api/schema';
import { Button } from '../../components/ui';

export type WeeklyInterval = components['schemas']['WeeklyInterval'];
export type Day = WeeklyInterval['days'][number];
export interface Interval {
  from: string;
  to: string;
}
export type Week = Record<Day, Interval[]>;

export const DAYS: readonly { key: Day; label: string }[] = [
  { key: 'mon', label: 'Monday' },
  { key: 'tue', label: 'Tuesday' },
  { key: 'wed', label: 'Wednesday' },
  { key: 'thu', label: 'Thursday' },
  { key: 'fri', label: 'Friday' },
  { key: 'sat', label: 'Saturday' },
  { key: 'sun', label: 'Sunday' },
];

export function emptyWeek(): Week {
  return { mon: [], tue: [], wed: [], thu: [], fri: [], sat: [], sun: [] };
}

/// "24:00" (midnight at the end of the day) reads as "00:00", as the API returns it.
function normal(t: string): string {
  return t === '24:00' ? '00:00' : t;
}

export function weekFromWeekly(weekly: readonly WeeklyInterval[]): Week {
  const week = emptyWeek();
  for (const w of weekly) {
    for (const d of w.days) week[d].push({ from: normal(w.from), to: normal(w.to) });
  }
  for (const d of DAYS) week[d.key].sort((a, b) => a.from.localeCompare(b.from));
  return week;
}

/// One API interval per distinct from–to pair, listing its days in week order; pairs in the
/// order they first appear (Monday first, earlier times first).
export function weekToWeekly(week: Week): WeeklyInterval[] {
  const out: WeeklyInterval[] = [];
  const byPair = new Map<string, WeeklyInterval>();
  for (const d of DAYS) {
    for (const i of week[d.key]) {
      const key = `${i.from}-${i.to}`;
      const existing = byPair.get(key);
      if (existing) {
        if (!existing.days.includes(d.key)) existing.days.push(d.key);
      } else {
        const w: WeeklyInterval = { days: [d.key], from: i.from, to: i.to };
        byPair.set(key, w);
        out.push(w);
      }
    }
  }
  return out;
}

export function intervalKind(i: Interval): 'day' | 'overnight' | 'whole' {
  if (i.from === i.to) return 'whole';
  return i.to < i.from ? 'overnight' : 'day';
}

export function WeekGrid(props: {
  value: Week;
  onChange: (week: Week) => void;
  isDisabled?: boolean;
  errorMessage?: string | undefined;
  legend?: string;
}) {
  const { value, onChange } = props;
  const ro = props.isDisabled ?? false;

  function setDay(day: Day, intervals: Interval[]) {
    onChange({ ...value, [day]: intervals });
  }

  return (
    <fieldset className="week-grid-field">
      <legend>{props.legend ?? 'Opening hours'}</legend>
      <span className="description">
        Local times of the schedule&apos;s time zone. A &quot;To&quot; at or before &quot;From&quot;
        runs overnight into the next day; the same time for both is open all day.
      </span>
      <table className="week-grid">
        <tbody>
          {DAYS.map((d) => {
            const intervals = value[d.key];
            return (
              <tr key={d.key}>
                <th scope="row">{d.label}</th>
                <td>
                  {intervals.length === 0 ? <p className="muted">Closed</p> : null}
                  {intervals.map((interval, i) => {
                    const base = `wg-${d.key}-${i}`;
                    const kind = intervalKind(interval);
                    const update = (patch: Partial<Interval>) =>
                      setDay(
                        d.key,
                        intervals.map((x, j) => (j === i ? { ...x, ...patch } : x)),
                      );
                    return (
                      <div className="interval-row" key={i}>
                        <div className="field">
                          <label htmlFor={`${base}-from`}>
                            From
                            <span className="sr-only">
                              {' '}
                              ({d.label}, interval {i + 1})
                            </span>
                          </label>
                          <input
                            id={`${base}-from`}
                            type="time"
                            required
                            disabled={ro}
                            value={interval.from}
                            onChange={(e) => update({ from: e.target.value })}
                          />
                        </div>
                        <div className="field">
                          <label htmlFor={`${base}-to`}>
                            To
                            <span className="sr-only">
                              {' '}
                              ({d.label}, interval {i + 1})
                            </span>
                          </label>
                          <input
                            id={`${base}-to`}
                            type="time"
                            required
                            disabled={ro}
                            value={interval.to}
                            onChange={(e) => update({ to: e.target.value })}
                          />
                        </div>
                        {kind === 'overnight' ? (
                          <span className="overnight">until {interval.to} the next day</span>
                        ) : kind === 'whole' ? (
                          <span className="overnight">24 hours from {interval.from}</span>
                        ) : null}
                        {ro ? null : (
                          <Button
                            aria-label={`Remove ${d.label} ${interval.from}–${interval.to}`}
                            onPress={() =>
                              setDay(
                                d.key,
                                intervals.filter((_, j) => j !== i),
                              )
                            }
                          >
                            Remove
                          </Button>
                        )}
                      </div>
                    );
                  })}
                  {ro ? null : (
                    <Button
                      aria-label={`Add hours on ${d.label}`}
                      onPress={() => {
                        setDay(d.key, [
                          ...intervals,
                          intervals.length > 0
                            ? { from: '18:00', to: '22:00' }
                            : { from: '09:00', to: '17:00' },
                        ]);
                      }}
                    >
                      Add hours
                    </Button>
                  )}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
      {props.errorMessage ? (
        <span className="field-error" role="alert">
          {props.errorMessage}
        </span>
      ) : null}
    </fieldset>
  );
}
