// Create or edit a schedule (business hours): name, IANA time zone, the week grid,
// holidays and the override switch.
import { useId, useState } from 'react';
import { Controller, useFieldArray, useForm, type Control, type FieldPath } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { applyApiError } from '../../api/forms';
import type { components } from '../../api/schema';
import { CheckboxInput, FormBanner, TextInput } from '../../components/fields';
import { Button } from '../../components/ui';
import { WeekGrid, weekFromWeekly, weekToWeekly, type Week } from './WeekGrid';

export type Schedule = components['schemas']['Schedule'];
export type ScheduleInput = components['schemas']['ScheduleInput'];
type Holiday = components['schemas']['Holiday'];

const holidaySchema = z.object({
  name: z.string(),
  kind: z.enum(['date', 'range']),
  date: z.string(),
  from: z.string(),
  to: z.string(),
  yearly: z.boolean(),
});
const intervals = z.array(z.object({ from: z.string(), to: z.string() }));
const schema = z.object({
  name: z.string().trim().min(1, 'Enter a name'),
  timezone: z.string().trim().min(1, 'Enter an IANA time zone, e.g. Europe/Berlin'),
  weekly: z.object({
    mon: intervals,
    tue: intervals,
    wed: intervals,
    thu: intervals,
    fri: intervals,
    sat: intervals,
    sun: intervals,
  }),
  holidays: z.array(holidaySchema),
  override: z.enum(['auto', 'open', 'closed']),
});
type Values = z.infer<typeof schema>;
type HolidayValues = z.infer<typeof holidaySchema>;

function holidayValues(h: Holiday): HolidayValues {
  const name = h.name ?? '';
  const yearly = h.yearly ?? false;
  return h.date
    ? { name, kind: 'date', date: h.date, from: '', to: '', yearly }
    : { name, kind: 'range', date: '', from: h.from ?? '', to: h.to ?? '', yearly };
}

function holidayBody(h: HolidayValues): Holiday {
  const base = { name: h.name.trim(), yearly: h.yearly };
  return h.kind === 'date' ? { ...base, date: h.date } : { ...base, from: h.from, to: h.to };
}

export function scheduleBody(v: Values): ScheduleInput {
  return {
    name: v.name.trim(),
    timezone: v.timezone.trim(),
    weekly: weekToWeekly(v.weekly as Week),
    holidays: v.holidays.map(holidayBody),
    override: v.override,
  };
}

function browserZone(): string {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC';
  } catch {
    return 'UTC';
  }
}

function zones(): string[] {
  const intl = Intl as unknown as { supportedValuesOf?: (k: string) => string[] };
  try {
    return intl.supportedValuesOf ? intl.supportedValuesOf('timeZone') : [];
  } catch {
    return [];
  }
}

/// A native date input bound to the form, with its label and error.
function DateInput(props: {
  control: Control<Values>;
  name: FieldPath<Values>;
  label: string;
  isDisabled: boolean;
}) {
  const id = useId();
  return (
    <Controller
      control={props.control}
      name={props.name}
      render={({ field, fieldState }) => (
        <div className="field">
          <label htmlFor={id}>{props.label}</label>
          <input
            id={id}
            ref={field.ref}
            type="date"
            value={String(field.value ?? '')}
            onChange={(e) => field.onChange(e.target.value)}
            onBlur={field.onBlur}
            disabled={props.isDisabled}
            aria-invalid={fieldState.invalid || undefined}
            aria-describedby={fieldState.error ? `${id}-err` : undefined}
          />
          {fieldState.error ? (
            <span className="field-error" id={`${id}-err`}>
              {fieldState.error.message}
            </span>
          ) : null}
        </div>
      )}
    />
  );
}

export function ScheduleForm(props: {
  schedule?: Schedule;
  readOnly: boolean;
  onSave: (body: ScheduleInput) => Promise<unknown>;
  onCancel: () => void;
}) {
  const s = props.schedule;
  const ro = props.readOnly;
  const [banner, setBanner] = useState<string | null>(null);
  const [zoneList] = useState(zones);
  const form = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: {
      name: s?.name ?? '',
      timezone: s?.timezone ?? browserZone(),
      weekly: weekFromWeekly(s?.weekly ?? []),
      holidays: (s?.holidays ?? []).map(holidayValues),
      override: s?.override ?? 'auto',
    },
  });
  const { control } = form;
  const holidays = useFieldArray({ control, name: 'holidays' });
  const kinds = form.watch('holidays');

  async function submit(v: Values) {
    setBanner(null);
    try {
      await props.onSave(scheduleBody(v));
    } catch (e) {
      // holidays[i].date and the like name a field of row i; weekly[i].* is regrouped by the
      // grid, so it lands on the grid as a whole.
      const aliases: Record<string, string> = {};
      v.holidays.forEach((_, i) => {
        for (const k of ['name', 'date', 'from', 'to', 'yearly']) {
          aliases[`holidays.${i}.${k}`] = `holidays.${i}.${k}`;
        }
      });
      setBanner(
        applyApiError(
          e,
          form.setError,
          ['name', 'timezone', 'weekly', 'holidays', 'override'],
          aliases,
        ),
      );
    }
  }

  return (
    <form
      className="form form-wide"
      aria-label={s ? `Business hours ${s.name}` : 'New business hours'}
      noValidate
      onSubmit={(e) => void form.handleSubmit(submit)(e)}
    >
      <FormBanner message={banner} />
      <div className="form-two">
        <TextInput control={control} name="name" label="Name" isRequired isDisabled={ro} />
        <Controller
          control={control}
          name="timezone"
          render={({ field, fieldState }) => (
            <div className="field">
              <label htmlFor="schedule-timezone">Time zone</label>
              <input
                id="schedule-timezone"
                ref={field.ref}
                list="schedule-timezones"
                value={field.value}
                onChange={(e) => field.onChange(e.target.value)}
                onBlur={field.onBlur}
                disabled={ro}
                autoComplete="off"
                aria-invalid={fieldState.invalid || undefined}
                aria-describedby="schedule-timezone-desc"
              />
              <datalist id="schedule-timezones">
                {zoneList.map((z) => (
                  <option key={z} value={z} />
                ))}
              </datalist>
              <span className="description" id="schedule-timezone-desc">
                An IANA time zone, e.g. Europe/Berlin
              </span>
              {fieldState.error ? (
                <span className="field-error">{fieldState.error.message}</span>
              ) : null}
            </div>
          )}
        />
      </div>
      <Controller
        control={control}
        name="weekly"
        render={({ field, fieldState }) => (
          <WeekGrid
            value={field.value as Week}
            onChange={field.onChange}
            isDisabled={ro}
            errorMessage={fieldState.error?.message}
          />
        )}
      />
      <fieldset>
        <legend>Holidays</legend>
        <span className="description">
          Closed the whole day. Yearly: every year on that month and day.
        </span>
        {holidays.fields.length === 0 ? <p className="muted">No holidays.</p> : null}
        {holidays.fields.map((f, i) => {
          const kind = kinds[i]?.kind ?? 'date';
          return (
            <div className="holiday-row" key={f.id}>
              <TextInput
                control={control}
                name={`holidays.${i}.name`}
                label={`Holiday ${i + 1} name`}
                isDisabled={ro}
              />
              <Controller
                control={control}
                name={`holidays.${i}.kind`}
                render={({ field }) => (
                  <div className="field">
                    <label htmlFor={`holiday-${i}-kind`}>Holiday {i + 1} is</label>
                    <select
                      id={`holiday-${i}-kind`}
                      value={field.value}
                      disabled={ro}
                      onChange={(e) => field.onChange(e.target.value)}
                    >
                      <option value="date">One day</option>
                      <option value="range">A range of days</option>
                    </select>
                  </div>
                )}
              />
              {kind === 'date' ? (
                <>
                  <DateInput
                    control={control}
                    name={`holidays.${i}.date`}
                    label="Date"
                    isDisabled={ro}
                  />
                  <span />
                </>
              ) : (
                <>
                  <DateInput
                    control={control}
                    name={`holidays.${i}.from`}
                    label="From"
                    isDisabled={ro}
                  />
                  <DateInput
                    control={control}
                    name={`holidays.${i}.to`}
                    label="To"
                    isDisabled={ro}
                  />
                </>
              )}
              <CheckboxInput
                control={control}
                name={`holidays.${i}.yearly`}
                label="Yearly"
                isDisabled={ro}
              />
              {ro ? (
                <span />
              ) : (
                <Button aria-label={`Remove holiday ${i + 1}`} onPress={() => holidays.remove(i)}>
                  Remove
                </Button>
              )}
            </div>
          );
        })}
        {ro ? null : (
          <div>
            <Button
              onPress={() =>
                holidays.append({
                  name: '',
                  kind: 'date',
                  date: '',
                  from: '',
                  to: '',
                  yearly: false,
                })
              }
            >
              Add holiday
            </Button>
          </div>
        )}
      </fieldset>
      <Controller
        control={control}
        name="override"
        render={({ field }) => (
          <fieldset>
            <legend>Override</legend>
            <span className="description">
              A manual day/night switch: holds the hours open or closed whatever they say.
            </span>
            <div className="radio-row">
              {(
                [
                  ['auto', 'None: follow the hours and holidays'],
                  ['open', 'Open'],
                  ['closed', 'Closed'],
                ] as const
              ).map(([value, label]) => (
                <label key={value}>
                  <input
                    type="radio"
                    name="override"
                    value={value}
                    checked={field.value === value}
                    disabled={ro}
                    onChange={() => field.onChange(value)}
                  />
                  {label}
                </label>
              ))}
            </div>
          </fieldset>
        )}
      />
      <div className="form-actions">
        {ro ? null : (
          <Button type="submit" variant="primary" isDisabled={form.formState.isSubmitting}>
            {s ? 'Save' : 'Add business hours'}
          </Button>
        )}
        <Button onPress={props.onCancel}>{ro ? 'Back' : 'Cancel'}</Button>
      </div>
    </form>
  );
}
