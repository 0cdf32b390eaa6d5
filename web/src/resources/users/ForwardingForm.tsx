// A user's call forwarding (GET/PUT /users/{id}/forwarding): always, when busy, when not
// answered after N seconds, each to a user, a user group or a number. Shown on a user's page
// (an administrator edits it) and on My profile (the user edits its own).
import { useState } from 'react';
import { Controller, useForm, type FieldError as RhfFieldError } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { Form } from 'react-aria-components';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { applyApiError } from '../../api/forms';
import { asDestination, type DestinationType, type Forwarding } from '../../api/types';
import {
  DestinationPicker,
  destinationDraftSchema,
  fromDestination,
  toDestination,
} from '../../components/DestinationPicker';
import { FormBanner, TextInput } from '../../components/fields';
import { Button, ErrorMessage, Loading } from '../../components/ui';

/// Forwarding goes somewhere that carries the call on: voicemail and hang-up are refused.
const forwardTypes: readonly DestinationType[] = ['user', 'group', 'ivr', 'number'];

const schema = z.object({
  always: destinationDraftSchema,
  busy: destinationDraftSchema,
  no_answer: destinationDraftSchema,
  no_answer_s: z
    .string()
    .trim()
    .refine((s) => /^[0-9]+$/.test(s) && Number(s) >= 5 && Number(s) <= 300, {
      message: 'Ring for 5–300 seconds',
    }),
});
type Values = z.infer<typeof schema>;
const fields = Object.keys(schema.shape);

function defaults(f: Forwarding): Values {
  return {
    always: fromDestination(asDestination(f.always)),
    busy: fromDestination(asDestination(f.busy)),
    no_answer: fromDestination(asDestination(f.no_answer)),
    no_answer_s: String(f.no_answer_s),
  };
}

export function toForwardingInput(v: Values) {
  return {
    always: toDestination(v.always),
    busy: toDestination(v.busy),
    no_answer: toDestination(v.no_answer),
    no_answer_s: Number(v.no_answer_s),
  };
}

function destinationError(error: RhfFieldError | Record<string, RhfFieldError> | undefined) {
  if (!error) return undefined;
  if (typeof error.message === 'string') return error.message;
  const parts = error as Record<string, RhfFieldError | undefined>;
  return parts.id?.message ?? parts.number?.message ?? parts.type?.message;
}

/// The "Call forwarding" panel of user `userId`, loaded from the API; `readOnly` shows it
/// without the controls to change it.
export function ForwardingSection(props: { userId: number; readOnly: boolean }) {
  const { userId } = props;
  const forwarding = useQuery({
    queryKey: ['users', userId, 'forwarding'],
    queryFn: () =>
      data(api.GET('/api/v1/users/{id}/forwarding', { params: { path: { id: userId } } })),
  });
  return (
    <div className="panel">
      <h2>Call forwarding</h2>
      <p className="muted">
        Calls to this extension only: group calls ring the phone as usual. Forwarding to a number
        dials it as this user&apos;s own call.
      </p>
      {forwarding.isPending ? <Loading what="call forwarding" /> : null}
      {forwarding.error ? <ErrorMessage error={forwarding.error} /> : null}
      {forwarding.data ? (
        <ForwardingForm
          key={userId}
          userId={userId}
          forwarding={forwarding.data}
          readOnly={props.readOnly}
        />
      ) : null}
    </div>
  );
}

export function ForwardingForm(props: {
  userId: number;
  forwarding: Forwarding;
  readOnly: boolean;
}) {
  const { userId, readOnly } = props;
  const queryClient = useQueryClient();
  const [banner, setBanner] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const form = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: defaults(props.forwarding),
  });
  const { control } = form;

  const submit = form.handleSubmit(async (values) => {
    setBanner(null);
    setSaved(false);
    try {
      const updated = await data(
        api.PUT('/api/v1/users/{id}/forwarding', {
          params: { path: { id: userId } },
          body: toForwardingInput(values),
        }),
      );
      form.reset(defaults(updated));
      queryClient.setQueryData(['users', userId, 'forwarding'], updated);
      void queryClient.invalidateQueries({ queryKey: ['users', userId], exact: true });
      setSaved(true);
    } catch (e) {
      setBanner(applyApiError(e, form.setError, fields));
    }
  });

  const picker = (name: 'always' | 'busy' | 'no_answer', label: string, description: string) => (
    <Controller
      control={control}
      name={name}
      render={({ field, fieldState }) => (
        <DestinationPicker
          label={label}
          description={description}
          noneLabel="Not forwarded"
          value={field.value}
          onChange={readOnly ? () => undefined : field.onChange}
          errorMessage={destinationError(fieldState.error)}
          types={forwardTypes}
          excludeUsers={[userId]}
        />
      )}
    />
  );

  return (
    <Form onSubmit={submit} aria-label="Call forwarding" validationBehavior="aria" className="form">
      <FormBanner message={banner} />
      {saved ? (
        <div className="banner banner-ok" role="status">
          Saved.
        </div>
      ) : null}
      <fieldset disabled={readOnly} className="plain-fieldset">
        {picker('always', 'Always', 'Every call goes there; the phone does not ring.')}
        {picker(
          'busy',
          'When busy',
          'When the phone answers busy, you are on a call, or on do not disturb.',
        )}
        {picker(
          'no_answer',
          'When not answered',
          'When nobody answers in time, or no phone is registered.',
        )}
        <TextInput
          control={control}
          name="no_answer_s"
          label="Not answered after (seconds)"
          type="number"
          isDisabled={readOnly}
          description="How long the phone rings first: 5–300."
        />
      </fieldset>
      {readOnly ? null : (
        <div className="form-actions">
          <Button type="submit" variant="primary" isDisabled={form.formState.isSubmitting}>
            Save forwarding
          </Button>
          <Button
            isDisabled={!form.formState.isDirty}
            onPress={() => form.reset(defaults(props.forwarding))}
          >
            Undo changes
          </Button>
        </div>
      )}
    </Form>
  );
}
