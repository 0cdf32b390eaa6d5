// Where a call goes next: a group's fallback and closed destination, an inbound route's
// destination, a user's forwarding, an IVR menu's options and exits. Holds an incomplete choice as a draft; `toDestination` and
// `destinationDraftSchema` turn it into the API's Destination.
import { useId } from 'react';
import { z } from 'zod';
import type { Destination, DestinationType } from '../api/types';
import { EntityPicker } from './EntityPicker';

export interface DestinationDraft {
  type: DestinationType;
  id?: number | null;
  box?: 'user' | 'group';
  number?: string;
}

export const destinationTypeLabels: Record<DestinationType, string> = {
  group: 'A user group',
  user: 'A user',
  ivr: 'An IVR menu',
  number: 'A number',
  voicemail: 'Voicemail',
  hangup: 'Hang up',
};

export function fromDestination(d: Destination | null): DestinationDraft | null {
  if (!d) return null;
  switch (d.type) {
    case 'user':
    case 'group':
    case 'ivr':
      return { type: d.type, id: d.id };
    case 'voicemail':
      return { type: 'voicemail', box: d.box, id: d.id };
    case 'number':
      return { type: 'number', number: d.number };
    case 'hangup':
      return { type: 'hangup' };
  }
}

/// The API's Destination, or null for "none". Throws on an incomplete draft: validate with
/// destinationDraftSchema first.
export function toDestination(draft: DestinationDraft | null): Destination | null {
  if (!draft) return null;
  switch (draft.type) {
    case 'user':
    case 'group':
    case 'ivr':
      return { type: draft.type, id: draft.id! };
    case 'voicemail':
      return { type: 'voicemail', box: draft.box ?? 'user', id: draft.id! };
    case 'number':
      return { type: 'number', number: (draft.number ?? '').trim() };
    case 'hangup':
      return { type: 'hangup' };
  }
}

/// A destination that must be given (an inbound route's).
export const destinationDraftRequiredSchema = z
  .object({
    type: z.enum(['group', 'user', 'ivr', 'number', 'voicemail', 'hangup']),
    id: z.number().int().positive().nullable().optional(),
    box: z.enum(['user', 'group']).optional(),
    number: z.string().optional(),
  })
  .superRefine((d, ctx) => {
    if (
      (d.type === 'group' || d.type === 'user' || d.type === 'ivr' || d.type === 'voicemail') &&
      !d.id
    ) {
      const what = d.type === 'voicemail' ? (d.box ?? 'user') : d.type === 'ivr' ? 'menu' : d.type;
      ctx.addIssue({ code: 'custom', path: ['id'], message: `Choose a ${what}` });
    }
    if (d.type === 'number' && !/^\+?[0-9]{1,32}$/.test((d.number ?? '').trim())) {
      ctx.addIssue({
        code: 'custom',
        path: ['number'],
        message: 'A number is 1–32 digits with an optional leading +',
      });
    }
  });

/// A destination that may be "none" (a group's fallback and closed destination).
export const destinationDraftSchema = destinationDraftRequiredSchema.nullable();

const pickerLabels = { user: 'User', group: 'User group', ivr: 'IVR menu' } as const;

export function DestinationPicker(props: {
  /** The visible legend, e.g. "Fallback routing". */
  label: string;
  value: DestinationDraft | null;
  onChange: (value: DestinationDraft | null) => void;
  /** What "no destination" means here, e.g. "None: the call ends". Omit to require one. */
  noneLabel?: string;
  /** An error for the whole destination or one of its parts (from the form or the API). */
  errorMessage?: string | undefined;
  description?: string;
  /** Ids of groups not to offer (a group cannot fall back to itself). */
  excludeGroups?: readonly number[];
  /** Ids of IVR menus not to offer (a menu's timeout cannot be the menu itself). */
  excludeMenus?: readonly number[];
  /** Ids of users not to offer (a user cannot forward to itself). */
  excludeUsers?: readonly number[];
  /** The kinds of destination offered; default every kind (forwarding: user, group, IVR, number). */
  types?: readonly DestinationType[];
}) {
  const id = useId();
  const { value, onChange } = props;
  const typeValue = value?.type ?? '';

  function changeType(next: string) {
    if (next === '') onChange(null);
    else if (next === 'voicemail') onChange({ type: 'voicemail', box: 'user', id: null });
    else if (next === 'number') onChange({ type: 'number', number: '' });
    else if (next === 'hangup') onChange({ type: 'hangup' });
    else onChange({ type: next as 'user' | 'group' | 'ivr', id: null });
  }

  const pickerKind =
    value?.type === 'user' || value?.type === 'group' || value?.type === 'ivr'
      ? value.type
      : value?.type === 'voicemail'
        ? (value.box ?? 'user')
        : null;

  return (
    <fieldset
      className="dest-fieldset"
      aria-describedby={props.errorMessage ? `${id}-err` : undefined}
    >
      <legend>{props.label}</legend>
      {props.description ? <span className="description">{props.description}</span> : null}
      <div className="dest-picker">
        <div className="field">
          <label htmlFor={`${id}-type`}>Send calls to</label>
          <select
            id={`${id}-type`}
            value={typeValue}
            onChange={(e) => changeType(e.target.value)}
            aria-invalid={Boolean(props.errorMessage) || undefined}
          >
            {props.noneLabel !== undefined || value === null ? (
              <option value="">{props.noneLabel ?? 'Choose…'}</option>
            ) : null}
            {(props.types ?? (Object.keys(destinationTypeLabels) as DestinationType[])).map((t) => (
              <option key={t} value={t}>
                {destinationTypeLabels[t]}
              </option>
            ))}
          </select>
        </div>
        <div className="dest-target">
          {value?.type === 'voicemail' ? (
            <div className="field">
              <label htmlFor={`${id}-box`}>Voicemail box of</label>
              <select
                id={`${id}-box`}
                value={value.box ?? 'user'}
                onChange={(e) =>
                  onChange({ type: 'voicemail', box: e.target.value as 'user' | 'group', id: null })
                }
              >
                <option value="user">a user</option>
                <option value="group">a user group</option>
              </select>
            </div>
          ) : null}
          {pickerKind && value ? (
            <EntityPicker
              key={`${value.type}-${pickerKind}`}
              kind={pickerKind}
              label={pickerLabels[pickerKind]}
              value={value.id ?? null}
              onChange={(picked) => onChange({ ...value, id: picked })}
              {...(pickerKind === 'group' && props.excludeGroups
                ? { exclude: props.excludeGroups }
                : {})}
              {...(pickerKind === 'user' && props.excludeUsers
                ? { exclude: props.excludeUsers }
                : {})}
              {...(pickerKind === 'ivr' && props.excludeMenus
                ? { exclude: props.excludeMenus }
                : {})}
            />
          ) : null}
          {value?.type === 'number' ? (
            <div className="field">
              <label htmlFor={`${id}-number`}>Number</label>
              <input
                id={`${id}-number`}
                inputMode="tel"
                value={value.number ?? ''}
                onChange={(e) => onChange({ type: 'number', number: e.target.value })}
                aria-invalid={Boolean(props.errorMessage) || undefined}
              />
            </div>
          ) : null}
          {value?.type === 'hangup' ? <p className="muted">The call ends.</p> : null}
        </div>
      </div>
      {props.errorMessage ? (
        <span className="field-error" id={`${id}-err`} role="alert">
          {props.errorMessage}
        </span>
      ) : null}
    </fieldset>
  );
}
