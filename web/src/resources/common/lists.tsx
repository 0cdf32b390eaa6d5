// List editors used by several forms: a list of strings (dial patterns, inbound sources)
// bound to react-hook-form with an error under each row, a list of ids (groups, users,
// trunks) with names and an optional order.
import { useState } from 'react';
import {
  get,
  useFieldArray,
  useFormState,
  type ArrayPath,
  type Control,
  type FieldArray,
  type FieldValues,
  type Path,
} from 'react-hook-form';
import { EntityPicker } from '../../components/EntityPicker';
import { TextInput } from '../../components/fields';
import { Button } from '../../components/ui';
import type { Trunk } from '../../api/types';
import { GroupName, UserName } from './names';

/// A form value holding a list of strings: react-hook-form's field arrays need objects.
export type StringRow = { value: string };
export const toRows = (values: readonly string[]): StringRow[] =>
  values.map((value) => ({ value }));
export const fromRows = (rows: readonly StringRow[]): string[] =>
  rows.map((r) => r.value.trim()).filter((v) => v !== '');

/// API error paths for a list of rows: "patterns.1" → "patterns.1.value", for applyApiError.
export function rowAliases(name: string, count: number): Record<string, string> {
  const out: Record<string, string> = {};
  for (let i = 0; i < count; i++) out[`${name}.${i}`] = `${name}.${i}.value`;
  return out;
}

export function StringListField<T extends FieldValues>(props: {
  control: Control<T>;
  name: ArrayPath<T>;
  legend: string;
  itemLabel: string;
  description?: string;
  isDisabled?: boolean;
  placeholder?: string;
}) {
  const { fields, append, remove } = useFieldArray({ control: props.control, name: props.name });
  const { errors } = useFormState({ control: props.control, name: props.name as Path<T> });
  const listError = get(errors, props.name) as
    { message?: string; root?: { message?: string } } | undefined;
  const message = listError?.message ?? listError?.root?.message;
  return (
    <fieldset className="list-field">
      <legend>{props.legend}</legend>
      {props.description ? <span className="description">{props.description}</span> : null}
      {fields.length === 0 ? <p className="muted">None.</p> : null}
      {fields.map((f, i) => (
        <div className="list-row" key={f.id}>
          <TextInput
            control={props.control}
            name={`${props.name}.${i}.value` as Path<T>}
            label={`${props.itemLabel} ${i + 1}`}
            isDisabled={props.isDisabled ?? false}
            {...(props.placeholder ? { placeholder: props.placeholder } : {})}
          />
          {props.isDisabled ? null : (
            <Button
              aria-label={`Remove ${props.itemLabel.toLowerCase()} ${i + 1}`}
              onPress={() => remove(i)}
            >
              Remove
            </Button>
          )}
        </div>
      ))}
      {message ? (
        <span className="field-error" role="alert">
          {message}
        </span>
      ) : null}
      {props.isDisabled ? null : (
        <div>
          <Button onPress={() => append({ value: '' } as FieldArray<T, ArrayPath<T>>)}>
            Add {props.itemLabel.toLowerCase()}
          </Button>
        </div>
      )}
    </fieldset>
  );
}

export type IdKind = 'user' | 'group' | 'trunk';

function IdName(props: { kind: IdKind; id: number; trunks: readonly Trunk[] | undefined }) {
  if (props.kind === 'user') return <UserName id={props.id} />;
  if (props.kind === 'group') return <GroupName id={props.id} />;
  const t = props.trunks?.find((x) => x.id === props.id);
  return t ? <>{t.name}</> : <span className="muted">#{props.id} (deleted)</span>;
}

function move<T>(list: readonly T[], from: number, to: number): T[] {
  const next = [...list];
  const [item] = next.splice(from, 1);
  next.splice(to, 0, item as T);
  return next;
}

/// A list of ids: groups and users are added by searching the server (EntityPicker), trunks
/// from a select of every trunk. `ordered` adds Move up / Move down (trunk failover order).
export function IdListField(props: {
  kind: IdKind;
  legend: string;
  /** The singular noun shown in the add control and the buttons, e.g. "group". */
  noun: string;
  value: readonly number[];
  onChange: (ids: number[]) => void;
  ordered?: boolean;
  trunks?: readonly Trunk[];
  errorMessage?: string | undefined;
  description?: string;
  isDisabled?: boolean;
}) {
  const [pickerKey, setPickerKey] = useState(0);
  const [trunkChoice, setTrunkChoice] = useState('');
  const { value, onChange } = props;
  const selectId = `add-${props.legend.replace(/\W/g, '-')}`;
  const Tag = props.ordered ? 'ol' : 'ul';
  const available = (props.trunks ?? []).filter((t) => !value.includes(t.id));

  return (
    <fieldset className="list-field" aria-invalid={Boolean(props.errorMessage) || undefined}>
      <legend>{props.legend}</legend>
      {props.description ? <span className="description">{props.description}</span> : null}
      {value.length === 0 ? (
        <p className="muted">None.</p>
      ) : (
        <Tag className="id-list">
          {value.map((id, i) => (
            <li key={id}>
              <span className="id-name">
                <IdName kind={props.kind} id={id} trunks={props.trunks} />
              </span>
              {props.isDisabled ? null : (
                <span className="row-actions">
                  {props.ordered ? (
                    <>
                      <Button
                        aria-label={`Move up: ${props.noun} ${i + 1}`}
                        isDisabled={i === 0}
                        onPress={() => onChange(move(value, i, i - 1))}
                      >
                        Move up
                      </Button>
                      <Button
                        aria-label={`Move down: ${props.noun} ${i + 1}`}
                        isDisabled={i === value.length - 1}
                        onPress={() => onChange(move(value, i, i + 1))}
                      >
                        Move down
                      </Button>
                    </>
                  ) : null}
                  <Button
                    aria-label={`Remove: ${props.noun} ${i + 1}`}
                    onPress={() => onChange(value.filter((x) => x !== id))}
                  >
                    Remove
                  </Button>
                </span>
              )}
            </li>
          ))}
        </Tag>
      )}
      {props.isDisabled ? null : props.kind === 'trunk' ? (
        <div className="add-row">
          <div className="field">
            <label htmlFor={selectId}>Add a {props.noun}</label>
            <select
              id={selectId}
              value={trunkChoice}
              onChange={(e) => setTrunkChoice(e.target.value)}
            >
              <option value="">Choose…</option>
              {available.map((t) => (
                <option key={t.id} value={t.id}>
                  {t.name}
                </option>
              ))}
            </select>
          </div>
          <Button
            isDisabled={trunkChoice === ''}
            onPress={() => {
              onChange([...value, Number(trunkChoice)]);
              setTrunkChoice('');
            }}
          >
            Add
          </Button>
        </div>
      ) : (
        <EntityPicker
          key={pickerKey}
          kind={props.kind}
          label={`Add a ${props.noun}`}
          value={null}
          exclude={value}
          onChange={(id) => {
            if (id !== null && !value.includes(id)) onChange([...value, id]);
            setPickerKey((k) => k + 1);
          }}
        />
      )}
      {props.errorMessage ? (
        <span className="field-error" role="alert">
          {props.errorMessage}
        </span>
      ) : null}
    </fieldset>
  );
}
