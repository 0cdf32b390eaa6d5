// Create or edit an IVR menu: name, the options table (a key and a destination per row),
// timeout and its destination, invalid destination, repeat, direct dial.
import { useState } from 'react';
import { Controller, useFieldArray, useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { isApiError } from '../../api/errors';
import { applyApiError } from '../../api/forms';
import type { components } from '../../api/schema';
import type { Destination } from '../../api/types';
import {
  DestinationPicker,
  destinationDraftRequiredSchema,
  destinationDraftSchema,
  fromDestination,
  toDestination,
} from '../../components/DestinationPicker';
import { AudioPrompt } from '../../components/AudioPrompt';
import { CheckboxInput, FormBanner, TextInput } from '../../components/fields';
import { Button } from '../../components/ui';

export type IvrMenu = components['schemas']['IvrMenu'];
export type IvrMenuInput = components['schemas']['IvrMenuInput'];

/// The keys of a keypad, in the order options are listed.
export const ivrKeys = ['1', '2', '3', '4', '5', '6', '7', '8', '9', '0', '*', '#'] as const;

const wholeNumber = (label: string, min: number, max: number) =>
  z
    .string()
    .trim()
    .refine((s) => /^\d+$/.test(s) && Number(s) >= min && Number(s) <= max, {
      message: `${label} must be a whole number from ${min} to ${max}`,
    });

const schema = z
  .object({
    name: z.string().trim().min(1, 'Enter a name'),
    options: z.array(
      z.object({
        key: z.string(),
        destination: destinationDraftRequiredSchema.nullable(),
      }),
    ),
    timeout_s: wholeNumber('Timeout', 1, 60),
    timeout: destinationDraftSchema,
    invalid: destinationDraftSchema,
    repeat: wholeNumber('Repeat', 1, 10),
    direct_dial: z.boolean(),
  })
  .superRefine((v, ctx) => {
    v.options.forEach((o, i) => {
      if (o.destination === null) {
        ctx.addIssue({
          code: 'custom',
          path: ['options', i, 'destination'],
          message: 'Choose where this key sends the call',
        });
      }
      if (v.options.findIndex((p) => p.key === o.key) !== i) {
        ctx.addIssue({
          code: 'custom',
          path: ['options', i, 'key'],
          message: `Key ${o.key} already has an option`,
        });
      }
    });
  });
type Values = z.infer<typeof schema>;
const fieldNames = ['name', 'timeout_s', 'timeout', 'invalid', 'repeat', 'direct_dial'];

function byKeypad(a: string, b: string) {
  return (
    ivrKeys.indexOf(a as (typeof ivrKeys)[number]) - ivrKeys.indexOf(b as (typeof ivrKeys)[number])
  );
}

function values(m: IvrMenu | undefined): Values {
  const options = Object.entries(m?.options ?? {})
    .sort(([a], [b]) => byKeypad(a, b))
    .map(([key, d]) => ({ key, destination: fromDestination(d) }));
  return {
    name: m?.name ?? '',
    options,
    timeout_s: String(m?.timeout_s ?? 5),
    timeout: m ? fromDestination(m.timeout as Destination | null) : null,
    invalid: m ? fromDestination(m.invalid as Destination | null) : null,
    repeat: String(m?.repeat ?? 3),
    direct_dial: m?.direct_dial ?? false,
  };
}

/// The message of a destination picker's error: the whole destination's, or its id's or
/// number's.
function destinationError(error: unknown): string | undefined {
  const e = error as
    { message?: string; id?: { message?: string }; number?: { message?: string } } | undefined;
  return e?.message ?? e?.id?.message ?? e?.number?.message;
}

export function MenuForm(props: {
  menu?: IvrMenu;
  readOnly: boolean;
  onSave: (body: IvrMenuInput) => Promise<unknown>;
  onCancel: () => void;
}) {
  const editing = props.menu !== undefined;
  const ro = props.readOnly;
  const [banner, setBanner] = useState<string | null>(null);
  const form = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: values(props.menu),
  });
  const { control } = form;
  const options = useFieldArray({ control, name: 'options' });
  const used = form.watch('options').map((o) => o.key);
  const free = ivrKeys.filter((k) => !used.includes(k));

  async function submit(v: Values) {
    setBanner(null);
    const body: IvrMenuInput = {
      name: v.name.trim(),
      options: Object.fromEntries(
        v.options.map((o) => [o.key, toDestination(o.destination) as Destination]),
      ),
      timeout_s: Number(v.timeout_s),
      timeout: toDestination(v.timeout),
      invalid: toDestination(v.invalid),
      repeat: Number(v.repeat),
      direct_dial: v.direct_dial,
    };
    try {
      await props.onSave(body);
    } catch (e) {
      // "options.7.id" belongs to the row of key 7.
      if (isApiError(e) && e.field?.startsWith('options.')) {
        const key = e.field.split('.')[1] ?? '';
        const row = v.options.findIndex((o) => o.key === key);
        if (row >= 0) {
          form.setError(`options.${row}.destination`, { type: 'server', message: e.message });
          return;
        }
      }
      setBanner(applyApiError(e, form.setError, fieldNames));
    }
  }

  return (
    <form
      className="form form-wide"
      aria-label={editing ? `IVR menu ${props.menu?.name ?? ''}` : 'New IVR menu'}
      noValidate
      onSubmit={(e) => void form.handleSubmit(submit)(e)}
    >
      <FormBanner message={banner} />
      <TextInput control={control} name="name" label="Name" isRequired isDisabled={ro} />

      {props.menu ? (
        <AudioPrompt
          route="/api/v1/ivr-menus/{id}/prompt"
          id={props.menu.id}
          title="Prompt"
          defaultLabel="Default prompt"
          resetLabel="Use default prompt"
          description="What the caller hears before pressing a key. The default prompt reads the options."
          readOnly={ro}
        />
      ) : (
        <p className="muted">
          Prompt: until you upload one after adding the menu, a default prompt reads the options.
        </p>
      )}

      <fieldset className="dest-fieldset">
        <legend>Options</legend>
        <span className="description">
          The key the caller presses and where it sends the call. Keys without an option are
          invalid.
        </span>
        {options.fields.length === 0 ? <p className="muted">No options yet.</p> : null}
        {options.fields.length > 0 ? (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Key</th>
                <th scope="col">Destination</th>
                <th scope="col">
                  <span className="muted">Remove</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {options.fields.map((row, i) => (
                <tr key={row.id}>
                  <td>
                    <Controller
                      control={control}
                      name={`options.${i}.key`}
                      render={({ field, fieldState }) => (
                        <>
                          <select
                            aria-label={`Key of option ${i + 1}`}
                            value={field.value}
                            onChange={(e) => field.onChange(e.target.value)}
                            disabled={ro}
                            aria-invalid={fieldState.invalid || undefined}
                          >
                            {ivrKeys
                              .filter((k) => k === field.value || !used.includes(k))
                              .map((k) => (
                                <option key={k} value={k}>
                                  {k}
                                </option>
                              ))}
                          </select>
                          {fieldState.error ? (
                            <span className="field-error">{fieldState.error.message}</span>
                          ) : null}
                        </>
                      )}
                    />
                  </td>
                  <td>
                    <Controller
                      control={control}
                      name={`options.${i}.destination`}
                      render={({ field, fieldState }) =>
                        ro ? (
                          <span className="mono">{JSON.stringify(field.value)}</span>
                        ) : (
                          <DestinationPicker
                            label={`Destination for key ${used[i] ?? ''}`}
                            value={field.value}
                            onChange={field.onChange}
                            errorMessage={destinationError(fieldState.error)}
                          />
                        )
                      }
                    />
                  </td>
                  <td className="actions">
                    {ro ? null : (
                      <Button
                        aria-label={`Remove option ${used[i] ?? ''}`}
                        onPress={() => options.remove(i)}
                      >
                        Remove
                      </Button>
                    )}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
        {ro || free.length === 0 ? null : (
          <Button onPress={() => options.append({ key: free[0]!, destination: null })}>
            Add option
          </Button>
        )}
      </fieldset>

      <div className="form-two">
        <TextInput
          control={control}
          name="timeout_s"
          label="Timeout (s)"
          description="Seconds to wait for a key after the prompt (1–60)"
          inputMode="numeric"
          isDisabled={ro}
        />
        <TextInput
          control={control}
          name="repeat"
          label="Repeat"
          description="How many times the prompt is played in all before the timeout or invalid destination (1–10)"
          inputMode="numeric"
          isDisabled={ro}
        />
      </div>
      {(['timeout', 'invalid'] as const).map((exit) => (
        <Controller
          key={exit}
          control={control}
          name={exit}
          render={({ field, fieldState }) =>
            ro ? (
              <p>
                {exit === 'timeout' ? 'Timeout destination' : 'Invalid destination'}:{' '}
                <span className="mono">{JSON.stringify(field.value)}</span>
              </p>
            ) : (
              <DestinationPicker
                label={exit === 'timeout' ? 'Timeout destination' : 'Invalid destination'}
                description={
                  exit === 'timeout'
                    ? 'Where the call goes when no key was pressed after the last play'
                    : 'Where the call goes after a wrong key on the last play'
                }
                noneLabel="None: hang up"
                value={field.value}
                onChange={field.onChange}
                {...(props.menu ? { excludeMenus: [props.menu.id] } : {})}
                errorMessage={destinationError(fieldState.error)}
              />
            )
          }
        />
      ))}
      <CheckboxInput
        control={control}
        name="direct_dial"
        label="Direct dial"
        description="Callers may dial a user's or group's extension instead of choosing an option"
        isDisabled={ro}
      />
      <div className="form-actions">
        {ro ? null : (
          <Button type="submit" variant="primary" isDisabled={form.formState.isSubmitting}>
            {editing ? 'Save' : 'Add IVR menu'}
          </Button>
        )}
        <Button onPress={props.onCancel}>{ro ? 'Back' : 'Cancel'}</Button>
      </div>
    </form>
  );
}
