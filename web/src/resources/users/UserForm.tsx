import { useState } from 'react';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { Form } from 'react-aria-components';
import { applyApiError } from '../../api/forms';
import type { User, UserInput, UserPatch } from '../../api/types';
import { CheckboxInput, FormBanner, SelectInput, TextInput } from '../../components/fields';
import { Button } from '../../components/ui';

const schema = z.object({
  name: z.string().trim().min(1, 'Enter a name').max(200),
  email: z.string().trim().min(1, 'Enter an e-mail').email('Enter an e-mail like ana@example.com'),
  extension: z
    .string()
    .trim()
    .regex(/^[0-9]{2,10}$/, 'An extension is 2–10 digits'),
  caller_id: z
    .string()
    .trim()
    .regex(/^(\+?[0-9]{1,32})?$/, 'A caller ID is 1–32 digits with an optional leading +'),
  role: z.enum(['admin', 'supervisor', 'agent']),
  active: z.boolean(),
  sip_password: z
    .string()
    .refine((s) => s === '' || /^[\x20-\x7e]{8,128}$/.test(s), '8–128 printable ASCII characters'),
  password: z
    .string()
    .refine((s) => s === '' || (s.length >= 12 && s.length <= 256), '12–256 characters'),
});
export type UserFormValues = z.infer<typeof schema>;
const fields = Object.keys(schema.shape);

function defaults(user: User | undefined): UserFormValues {
  return {
    name: user?.name ?? '',
    email: user?.email ?? '',
    extension: user?.extension ?? '',
    caller_id: user?.caller_id ?? '',
    role: user?.role ?? 'agent',
    active: user?.active ?? true,
    sip_password: '',
    password: '',
  };
}

export function toUserInput(v: UserFormValues): UserInput {
  return {
    name: v.name.trim(),
    email: v.email.trim(),
    extension: v.extension.trim(),
    caller_id: v.caller_id.trim() || null,
    role: v.role,
    active: v.active,
    ...(v.sip_password ? { sip_password: v.sip_password } : {}),
    ...(v.password ? { password: v.password } : {}),
  };
}

/// Only what changed: PATCH changes the fields present.
export function toUserPatch(
  v: UserFormValues,
  dirty: Partial<Record<keyof UserFormValues, unknown>>,
): UserPatch {
  const full = toUserInput(v);
  const patch: Record<string, unknown> = {};
  for (const key of Object.keys(dirty) as (keyof UserFormValues)[]) {
    if (!dirty[key]) continue;
    if ((key === 'sip_password' || key === 'password') && !v[key]) continue;
    patch[key] = full[key as keyof UserInput];
  }
  return patch as UserPatch;
}

export function UserForm(props: {
  user?: User;
  readOnly?: boolean;
  submitLabel: string;
  onSubmit: (
    values: UserFormValues,
    dirty: Partial<Record<keyof UserFormValues, unknown>>,
  ) => Promise<void>;
  onCancel?: () => void;
}) {
  const [banner, setBanner] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const form = useForm<UserFormValues>({
    resolver: zodResolver(schema),
    defaultValues: defaults(props.user),
  });
  const { control } = form;
  const readOnly = props.readOnly ?? false;

  const submit = form.handleSubmit(async (values) => {
    setBanner(null);
    setSaved(false);
    try {
      await props.onSubmit(values, form.formState.dirtyFields);
      // Keep what was typed, but forget the passwords once stored.
      form.reset({ ...values, sip_password: '', password: '' });
      setSaved(true);
    } catch (e) {
      setBanner(applyApiError(e, form.setError, fields));
    }
  });

  return (
    <Form onSubmit={submit} aria-label="User" validationBehavior="aria">
      <FormBanner message={banner} />
      {saved ? (
        <div className="banner banner-ok" role="status">
          Saved.
        </div>
      ) : null}
      <div className="form-grid">
        <TextInput control={control} name="name" label="Name" isRequired isDisabled={readOnly} />
        <TextInput
          control={control}
          name="email"
          label="E-mail"
          type="email"
          isRequired
          isDisabled={readOnly}
        />
        <TextInput
          control={control}
          name="extension"
          label="Extension"
          inputMode="numeric"
          isRequired
          isDisabled={readOnly}
          description="2–10 digits; also the SIP username."
        />
        <TextInput
          control={control}
          name="caller_id"
          label="Caller ID"
          inputMode="tel"
          isDisabled={readOnly}
          description="The user's own outbound caller ID. Empty: none."
        />
        <SelectInput
          control={control}
          name="role"
          label="Role"
          isDisabled={readOnly}
          options={[
            { value: 'agent', label: 'Agent' },
            { value: 'supervisor', label: 'Supervisor' },
            { value: 'admin', label: 'Admin' },
          ]}
        />
        <CheckboxInput
          control={control}
          name="active"
          label="Active"
          isDisabled={readOnly}
          description="An inactive user cannot sign in and its API tokens are refused."
        />
        {readOnly ? null : (
          <>
            <TextInput
              control={control}
              name="sip_password"
              label="SIP password"
              type="password"
              autoComplete="new-password"
              description={
                props.user?.has_sip_password
                  ? 'Set. Leave empty to keep it. A new extension needs a new SIP password.'
                  : 'Not set. 8–128 characters; the phone registers with it.'
              }
            />
            <TextInput
              control={control}
              name="password"
              label="Console password"
              type="password"
              autoComplete="new-password"
              description={
                props.user?.has_password
                  ? 'Set. Leave empty to keep it. 12–256 characters.'
                  : 'Not set. 12–256 characters, to sign in to this console.'
              }
            />
          </>
        )}
      </div>
      {readOnly ? null : (
        <div className="form-actions">
          <Button type="submit" variant="primary" isDisabled={form.formState.isSubmitting}>
            {props.submitLabel}
          </Button>
          {props.onCancel ? <Button onPress={props.onCancel}>Cancel</Button> : null}
        </div>
      )}
    </Form>
  );
}
