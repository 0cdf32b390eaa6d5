// Create or edit a trunk. The password is write-only: left empty on edit it is kept.
import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { applyApiError } from '../../api/forms';
import type { Trunk } from '../../api/types';
import type { components } from '../../api/schema';
import { CheckboxInput, FormBanner, SelectInput, TextInput } from '../../components/fields';
import { Button } from '../../components/ui';
import { emptyToNull } from '../common/format';
import { StringListField, fromRows, rowAliases, toRows } from '../common/lists';

export type TrunkInput = components['schemas']['TrunkInput'];

const digits = (message: string) => z.string().trim().regex(/^\d+$/, message);

export const trunkSchema = z.object({
  name: z.string().trim().min(1, 'Enter a name'),
  host: z.string(),
  port: digits('A port is 1–65535'),
  transport: z.enum(['udp', 'tcp']),
  username: z.string(),
  password: z.string(),
  remove_password: z.boolean(),
  auth_realm: z.string(),
  register: z.boolean(),
  register_expires_s: digits('Seconds, 60–86400'),
  from_domain: z.string(),
  max_concurrent_calls: digits('0 or more (0: unlimited)'),
  inbound_sources: z.array(z.object({ value: z.string() })),
  media: z.enum(['relay', 'direct']),
});
export type TrunkValues = z.infer<typeof trunkSchema>;

const fieldNames = Object.keys(trunkSchema.shape);

export function trunkValues(t: Trunk | undefined): TrunkValues {
  return {
    name: t?.name ?? '',
    host: t?.host ?? '',
    port: String(t?.port ?? 5060),
    transport: t?.transport ?? 'udp',
    username: t?.username ?? '',
    password: '',
    remove_password: false,
    auth_realm: t?.auth_realm ?? '',
    register: t?.register ?? false,
    register_expires_s: String(t?.register_expires_s ?? 3600),
    from_domain: t?.from_domain ?? '',
    max_concurrent_calls: String(t?.max_concurrent_calls ?? 0),
    inbound_sources: toRows(t?.inbound_sources ?? []),
    media: t?.media ?? 'relay',
  };
}

/// The request body. `password` only when typed (or removed on edit): absent keeps it.
export function trunkBody(v: TrunkValues, editing: boolean): TrunkInput {
  const body: TrunkInput = {
    name: v.name.trim(),
    host: v.host.trim(),
    port: Number(v.port),
    transport: v.transport,
    username: v.username.trim(),
    auth_realm: emptyToNull(v.auth_realm),
    register: v.register,
    register_expires_s: Number(v.register_expires_s),
    from_domain: v.from_domain.trim(),
    max_concurrent_calls: Number(v.max_concurrent_calls),
    inbound_sources: fromRows(v.inbound_sources),
    media: v.media,
  };
  if (v.password !== '') body.password = v.password;
  else if (editing && v.remove_password) body.password = null;
  return body;
}

export function TrunkForm(props: {
  trunk?: Trunk;
  readOnly: boolean;
  onSave: (body: TrunkInput) => Promise<unknown>;
  onCancel: () => void;
}) {
  const editing = props.trunk !== undefined;
  const [banner, setBanner] = useState<string | null>(null);
  const form = useForm<TrunkValues>({
    resolver: zodResolver(trunkSchema),
    defaultValues: trunkValues(props.trunk),
  });
  const { control } = form;
  const ro = props.readOnly;

  async function submit(values: TrunkValues) {
    setBanner(null);
    try {
      await props.onSave(trunkBody(values, editing));
    } catch (e) {
      setBanner(
        applyApiError(
          e,
          form.setError,
          fieldNames,
          rowAliases('inbound_sources', values.inbound_sources.length),
        ),
      );
    }
  }

  return (
    <form
      className="form form-wide"
      aria-label={editing ? `Trunk ${props.trunk?.name ?? ''}` : 'New trunk'}
      noValidate
      onSubmit={(e) => void form.handleSubmit(submit)(e)}
    >
      <FormBanner message={banner} />
      <div className="form-two">
        <TextInput control={control} name="name" label="Name" isRequired isDisabled={ro} />
        <TextInput
          control={control}
          name="host"
          label="Host"
          description="The provider's SIP server: a host name or an IPv4 address, no port"
          isDisabled={ro}
        />
        <TextInput control={control} name="port" label="Port" inputMode="numeric" isDisabled={ro} />
        <SelectInput
          control={control}
          name="transport"
          label="Transport"
          isDisabled={ro}
          options={[
            { value: 'udp', label: 'UDP' },
            { value: 'tcp', label: 'TCP' },
          ]}
        />
        <SelectInput
          control={control}
          name="media"
          label="Media"
          isDisabled={ro}
          description="Relay: the provider sees only Cohort's address, works behind NAT. Direct: audio flows between the phone and the provider."
          options={[
            { value: 'relay', label: 'Relay through Cohort' },
            { value: 'direct', label: 'Direct (phone to provider)' },
          ]}
        />
        <TextInput
          control={control}
          name="username"
          label="Username"
          autoComplete="off"
          description="Empty: no authentication"
          isDisabled={ro}
        />
        {ro ? null : (
          <TextInput
            control={control}
            name="password"
            label="Password"
            type="password"
            autoComplete="new-password"
            description={
              props.trunk?.has_password
                ? 'A password is stored. Leave empty to keep it.'
                : 'No password is stored.'
            }
          />
        )}
        <TextInput
          control={control}
          name="auth_realm"
          label="Auth realm"
          description="Answer only challenges of this realm. Empty: any realm"
          isDisabled={ro}
        />
        <TextInput
          control={control}
          name="from_domain"
          label="From domain"
          description="Host part of From on calls out. Empty: the host"
          isDisabled={ro}
        />
        <TextInput
          control={control}
          name="max_concurrent_calls"
          label="Max concurrent calls"
          inputMode="numeric"
          description="0: unlimited"
          isDisabled={ro}
        />
        <TextInput
          control={control}
          name="register_expires_s"
          label="Registration expiry (seconds)"
          inputMode="numeric"
          description="60–86400"
          isDisabled={ro}
        />
      </div>
      <CheckboxInput
        control={control}
        name="register"
        label="Register with the provider"
        description="Needs a host and a username"
        isDisabled={ro}
      />
      {editing && props.trunk?.has_password && !ro ? (
        <CheckboxInput
          control={control}
          name="remove_password"
          label="Remove the stored password"
        />
      ) : null}
      <StringListField
        control={control}
        name="inbound_sources"
        legend="Inbound sources"
        itemLabel="Source"
        description="IPv4 addresses or CIDR blocks (203.0.113.0/24) whose calls belong to this trunk"
        placeholder="203.0.113.0/24"
        isDisabled={ro}
      />
      <div className="form-actions">
        {ro ? null : (
          <Button type="submit" variant="primary" isDisabled={form.formState.isSubmitting}>
            {editing ? 'Save' : 'Add trunk'}
          </Button>
        )}
        <Button onPress={props.onCancel}>{ro ? 'Back' : 'Cancel'}</Button>
      </div>
    </form>
  );
}
