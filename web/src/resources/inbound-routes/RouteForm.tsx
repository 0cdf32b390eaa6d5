// Create or edit an inbound route: DID pattern, caller pattern, trunk and destination.
import { useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { applyApiError } from '../../api/forms';
import type { components } from '../../api/schema';
import type { Destination } from '../../api/types';
import {
  DestinationPicker,
  destinationDraftSchema,
  fromDestination,
  toDestination,
  type DestinationDraft,
} from '../../components/DestinationPicker';
import { FormBanner, SelectInput, TextInput } from '../../components/fields';
import { Button } from '../../components/ui';
import { emptyToNull } from '../common/format';
import { useAllTrunks } from '../common/names';

export type InboundRoute = components['schemas']['InboundRoute'];
export type InboundRouteInput = components['schemas']['InboundRouteInput'];

const schema = z
  .object({
    name: z.string().trim().min(1, 'Enter a name'),
    did: z.string().trim().min(1, 'Enter the DID pattern or number'),
    caller: z.string(),
    trunk: z.number().nullable(),
    destination: destinationDraftSchema,
  })
  .superRefine((v, ctx) => {
    if (v.destination === null) {
      ctx.addIssue({ code: 'custom', path: ['destination'], message: 'Choose where the calls go' });
    }
  });
type Values = z.infer<typeof schema>;
const fieldNames = ['name', 'did', 'caller', 'trunk', 'destination'];

function values(r: InboundRoute | undefined): Values {
  return {
    name: r?.name ?? '',
    did: r?.did ?? '',
    caller: r?.caller ?? '',
    trunk: r?.trunk ?? null,
    destination: r ? fromDestination(r.destination as Destination) : null,
  };
}

export function RouteForm(props: {
  route?: InboundRoute;
  readOnly: boolean;
  onSave: (body: InboundRouteInput) => Promise<unknown>;
  onCancel: () => void;
}) {
  const editing = props.route !== undefined;
  const ro = props.readOnly;
  const [banner, setBanner] = useState<string | null>(null);
  const trunks = useAllTrunks();
  const form = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: values(props.route),
  });
  const { control } = form;

  async function submit(v: Values) {
    setBanner(null);
    try {
      await props.onSave({
        name: v.name.trim(),
        did: v.did.trim(),
        caller: emptyToNull(v.caller),
        trunk: v.trunk,
        destination: toDestination(v.destination as DestinationDraft) as Destination,
      });
    } catch (e) {
      setBanner(applyApiError(e, form.setError, fieldNames));
    }
  }

  const trunkOptions = [
    { value: '', label: 'Any trunk' },
    ...(trunks.data?.items ?? []).map((t) => ({ value: String(t.id), label: t.name })),
  ];
  if (props.route?.trunk && !trunks.data?.items.some((t) => t.id === props.route?.trunk)) {
    trunkOptions.push({
      value: String(props.route.trunk),
      label: `#${props.route.trunk} (deleted)`,
    });
  }

  return (
    <form
      className="form form-wide"
      aria-label={editing ? `Inbound route ${props.route?.name ?? ''}` : 'New inbound route'}
      noValidate
      onSubmit={(e) => void form.handleSubmit(submit)(e)}
    >
      <FormBanner message={banner} />
      <TextInput control={control} name="name" label="Name" isRequired isDisabled={ro} />
      <div className="form-two">
        <TextInput
          control={control}
          name="did"
          label="DID pattern"
          description="The number dialled on the trunk: a literal number or a dial pattern (_1555010XXXX)"
          isRequired
          isDisabled={ro}
        />
        <TextInput
          control={control}
          name="caller"
          label="Caller pattern"
          description="A dial pattern the caller's number must match. Empty: any caller"
          isDisabled={ro}
        />
        <SelectInput
          control={control}
          name="trunk"
          label="Trunk"
          options={trunkOptions}
          parse={(s) => (s === '' ? null : Number(s))}
          isDisabled={ro}
        />
      </div>
      <Controller
        control={control}
        name="destination"
        render={({ field, fieldState }) =>
          ro ? (
            <p>
              Destination: <span className="mono">{JSON.stringify(field.value)}</span>
            </p>
          ) : (
            <DestinationPicker
              label="Destination"
              value={field.value}
              onChange={field.onChange}
              errorMessage={
                fieldState.error?.message ??
                (fieldState.error as { id?: { message?: string } } | undefined)?.id?.message
              }
            />
          )
        }
      />
      <div className="form-actions">
        {ro ? null : (
          <Button type="submit" variant="primary" isDisabled={form.formState.isSubmitting}>
            {editing ? 'Save' : 'Add inbound route'}
          </Button>
        )}
        <Button onPress={props.onCancel}>{ro ? 'Back' : 'Cancel'}</Button>
      </div>
    </form>
  );
}
