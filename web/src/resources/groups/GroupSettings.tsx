import { useState } from 'react';
import { Controller, useForm, type FieldError as RhfFieldError } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { Form } from 'react-aria-components';
import { useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { applyApiError } from '../../api/forms';
import {
  asDestination,
  type AutoPauseScope,
  type Group,
  type GroupPatch,
  type RingStrategy,
  type WaitingMode,
} from '../../api/types';
import { AudioPrompt } from '../../components/AudioPrompt';
import {
  DestinationPicker,
  destinationDraftSchema,
  fromDestination,
  toDestination,
} from '../../components/DestinationPicker';
import { CheckboxInput, FormBanner, SelectInput, TextInput } from '../../components/fields';
import { Button } from '../../components/ui';
import { autoPauseScopeLabels, ringStrategyLabels, waitingModeLabels } from './labels';
import { parseId, useScheduleOptions, useTrunkOptions } from './pickers';

function seconds(label: string, min: number, max: number) {
  return z
    .string()
    .trim()
    .refine((s) => /^[0-9]+$/.test(s) && Number(s) >= min && Number(s) <= max, {
      message: `${label} is ${min}–${max} seconds`,
    });
}

const schema = z.object({
  name: z.string().trim().min(1, 'Enter a Group Name').max(200),
  outbound_caller_id: z
    .string()
    .trim()
    .regex(/^(\+?[0-9]{1,32})?$/, 'A caller ID is 1–32 digits with an optional leading +'),
  trunk: z.number().nullable(),
  extension: z
    .string()
    .trim()
    .regex(/^([0-9]{2,10})?$/, 'An extension is 2–10 digits'),
  ring_strategy: z.enum([
    'simultaneous',
    'round_robin',
    'least_recent',
    'sequential',
    'fewest_calls',
    'random',
  ]),
  ring_timeout_s: seconds('Ring timeout', 5, 600),
  max_wait_s: seconds('Maximum wait', 10, 86400),
  wrap_up_s: seconds('Wrap-up', 0, 3600),
  ring_in_use: z.boolean(),
  skip_unregistered: z.boolean(),
  schedule: z.number().nullable(),
  closed_destination: destinationDraftSchema,
  fallback: destinationDraftSchema,
  auto_pause_after: z
    .string()
    .trim()
    .refine((s) => /^[0-9]+$/.test(s) && Number(s) <= 100, {
      message: 'Auto-pause after is 0–100 missed calls (0: never)',
    }),
  auto_pause_unreachable: z.boolean(),
  auto_pause_scope: z.enum(['group', 'all']),
  waiting_mode: z.enum(['ringback', 'early_media', 'answer']),
  announce_position_every_s: seconds('Announce position every', 0, 600),
});
type Values = z.infer<typeof schema>;
const fields = Object.keys(schema.shape);

function defaults(g: Group): Values {
  return {
    name: g.name,
    outbound_caller_id: g.outbound_caller_id ?? '',
    trunk: g.trunk,
    extension: g.extension ?? '',
    ring_strategy: g.ring_strategy,
    ring_timeout_s: String(g.ring_timeout_s),
    max_wait_s: String(g.max_wait_s),
    wrap_up_s: String(g.wrap_up_s),
    ring_in_use: g.ring_in_use,
    skip_unregistered: g.skip_unregistered,
    schedule: g.schedule,
    closed_destination: fromDestination(asDestination(g.closed_destination)),
    fallback: fromDestination(asDestination(g.fallback)),
    auto_pause_after: String(g.auto_pause_after),
    auto_pause_unreachable: g.auto_pause_unreachable,
    auto_pause_scope: g.auto_pause_scope,
    waiting_mode: g.waiting_mode,
    announce_position_every_s: String(g.announce_position_every_s),
  };
}

function toPatch(v: Values): Required<Omit<GroupPatch, 'description' | 'cti_scope'>> {
  return {
    name: v.name.trim(),
    outbound_caller_id: v.outbound_caller_id.trim() || null,
    trunk: v.trunk,
    extension: v.extension.trim() || null,
    ring_strategy: v.ring_strategy,
    ring_timeout_s: Number(v.ring_timeout_s),
    max_wait_s: Number(v.max_wait_s),
    wrap_up_s: Number(v.wrap_up_s),
    ring_in_use: v.ring_in_use,
    skip_unregistered: v.skip_unregistered,
    schedule: v.schedule,
    closed_destination: toDestination(v.closed_destination),
    fallback: toDestination(v.fallback),
    auto_pause_after: Number(v.auto_pause_after),
    auto_pause_unreachable: v.auto_pause_unreachable,
    auto_pause_scope: v.auto_pause_scope,
    waiting_mode: v.waiting_mode,
    announce_position_every_s: Number(v.announce_position_every_s),
  };
}

/// The message of a destination error, wherever zod or the API put it (`fallback.id`…).
function destinationError(error: RhfFieldError | Record<string, RhfFieldError> | undefined) {
  if (!error) return undefined;
  if (typeof error.message === 'string') return error.message;
  const parts = error as Record<string, RhfFieldError | undefined>;
  return parts.id?.message ?? parts.number?.message ?? parts.box?.message;
}

export function GroupSettings(props: { group: Group; readOnly: boolean }) {
  const { group, readOnly } = props;
  const queryClient = useQueryClient();
  const trunks = useTrunkOptions();
  const schedules = useScheduleOptions();
  const [banner, setBanner] = useState<string | null>(null);
  const [saved, setSaved] = useState(false);
  const form = useForm<Values>({ resolver: zodResolver(schema), defaultValues: defaults(group) });
  const { control } = form;

  const submit = form.handleSubmit(async (values) => {
    setBanner(null);
    setSaved(false);
    const full = toPatch(values);
    // Only what changed: a fallback left as it is is not validated again (a routing gap
    // stays until fixed, and the rest of the group can still be edited).
    const dirty = form.formState.dirtyFields as Record<string, unknown>;
    const body: Record<string, unknown> = {};
    for (const key of Object.keys(full) as (keyof typeof full)[]) {
      if (dirty[key]) body[key] = full[key];
    }
    try {
      const updated = await data(
        api.PATCH('/api/v1/groups/{id}', {
          params: { path: { id: group.id } },
          body: body as GroupPatch,
        }),
      );
      queryClient.setQueryData(['groups', group.id], updated);
      void queryClient.invalidateQueries({ queryKey: ['groups', 'list'] });
      form.reset(defaults(updated));
      setSaved(true);
    } catch (e) {
      setBanner(applyApiError(e, form.setError, fields));
    }
  });

  return (
    <Form onSubmit={submit} aria-label="Settings" validationBehavior="aria" className="form">
      <FormBanner message={banner} />
      {saved ? (
        <div className="banner banner-ok" role="status">
          Saved.
        </div>
      ) : null}
      <div className="form-grid">
        <TextInput
          control={control}
          name="name"
          label="Group Name"
          isRequired
          isDisabled={readOnly}
        />
        <TextInput
          control={control}
          name="extension"
          label="Extension"
          inputMode="numeric"
          isDisabled={readOnly}
          description="Dial it to call the group. Empty: none."
        />
        <TextInput
          control={control}
          name="outbound_caller_id"
          label="Outbound Caller ID"
          inputMode="tel"
          isDisabled={readOnly}
        />
        <SelectInput
          control={control}
          name="trunk"
          label="Trunk"
          parse={parseId}
          isDisabled={readOnly}
          options={[{ value: '', label: 'No trunk' }, ...(trunks.data ?? [])]}
        />
        <SelectInput
          control={control}
          name="ring_strategy"
          label="Ring strategy"
          isDisabled={readOnly}
          options={(Object.keys(ringStrategyLabels) as RingStrategy[]).map((s) => ({
            value: s,
            label: ringStrategyLabels[s],
          }))}
        />
        <TextInput
          control={control}
          name="ring_timeout_s"
          label="Ring timeout (seconds)"
          type="number"
          isDisabled={readOnly}
          description="How long each member's phone rings: 5–600."
        />
        <TextInput
          control={control}
          name="max_wait_s"
          label="Maximum wait (seconds)"
          type="number"
          isDisabled={readOnly}
          description="How long a caller waits before the fallback: 10–86400."
        />
        <TextInput
          control={control}
          name="wrap_up_s"
          label="Wrap-up (seconds)"
          type="number"
          isDisabled={readOnly}
          description="Pause after a call before the next one: 0–3600."
        />
        <CheckboxInput
          control={control}
          name="ring_in_use"
          label="Ring members who are on a call"
          isDisabled={readOnly}
        />
        <CheckboxInput
          control={control}
          name="skip_unregistered"
          label="Skip members without a registered phone"
          isDisabled={readOnly}
        />
        <SelectInput
          control={control}
          name="schedule"
          label="Business hours"
          parse={parseId}
          isDisabled={readOnly}
          options={[{ value: '', label: 'Always open' }, ...(schedules.data ?? [])]}
        />
      </div>
      <fieldset className="dest-fieldset" aria-describedby="auto-pause-help">
        <legend>Auto-pause</legend>
        <p id="auto-pause-help" className="muted">
          Pause a member who keeps missing this group&apos;s calls. The reason shows in its status;
          the member, a supervisor or an admin resumes it.
        </p>
        <div className="form-grid">
          <TextInput
            control={control}
            name="auto_pause_after"
            label="Auto-pause after missed calls"
            type="number"
            isDisabled={readOnly}
            description="Missed, busy or declined calls in a row: 0–100. 0: never."
          />
          <CheckboxInput
            control={control}
            name="auto_pause_unreachable"
            label="Pause when phone unreachable"
            isDisabled={readOnly}
          />
          <SelectInput
            control={control}
            name="auto_pause_scope"
            label="Auto-pause applies to"
            isDisabled={readOnly}
            options={(Object.keys(autoPauseScopeLabels) as AutoPauseScope[]).map((s) => ({
              value: s,
              label: autoPauseScopeLabels[s],
            }))}
          />
        </div>
      </fieldset>
      <fieldset className="dest-fieldset" aria-describedby="waiting-help">
        <legend>Waiting for the group</legend>
        <p id="waiting-help" className="muted">
          What a caller hears until a member answers. Members&apos; phones ring as before.
        </p>
        <AudioPrompt
          route="/api/v1/groups/{id}/waiting-music"
          id={group.id}
          title="Waiting music"
          defaultLabel="Built-in music"
          resetLabel="Use built-in music"
          readOnly={readOnly}
        />
        <div className="form-grid">
          <SelectInput
            control={control}
            name="waiting_mode"
            label="Waiting mode"
            isDisabled={readOnly}
            description="Ringback: the call is not answered. Music: the caller hears the waiting music, before (early media) or after Cohort answers."
            options={(Object.keys(waitingModeLabels) as WaitingMode[]).map((m) => ({
              value: m,
              label: waitingModeLabels[m],
            }))}
          />
          <TextInput
            control={control}
            name="announce_position_every_s"
            label="Announce position every (s)"
            type="number"
            isDisabled={readOnly}
            description="Position in line and expected wait, over the music: 0–600. 0: never."
          />
        </div>
      </fieldset>
      <AudioPrompt
        route="/api/v1/groups/{id}/greeting"
        id={group.id}
        title="Greeting"
        defaultLabel="Default greeting"
        resetLabel="Use default greeting"
        description="Plays outside business hours before the group's voicemail records a message. The default greeting names the group."
        readOnly={readOnly}
      />
      <Controller
        control={control}
        name="closed_destination"
        render={({ field, fieldState }) => (
          <DestinationPicker
            label="Closed destination"
            description="Where calls go outside business hours."
            noneLabel="The group's voicemail"
            value={field.value}
            onChange={field.onChange}
            errorMessage={destinationError(fieldState.error)}
            excludeGroups={[group.id]}
          />
        )}
      />
      <Controller
        control={control}
        name="fallback"
        render={({ field, fieldState }) => (
          <DestinationPicker
            label="Fallback routing"
            description="Where calls go when no member answers or none is available."
            noneLabel="None: the call ends"
            value={field.value}
            onChange={field.onChange}
            errorMessage={destinationError(fieldState.error)}
            excludeGroups={[group.id]}
          />
        )}
      />
      {readOnly ? null : (
        <div className="form-actions">
          <Button type="submit" variant="primary" isDisabled={form.formState.isSubmitting}>
            Save
          </Button>
          <Button isDisabled={!form.formState.isDirty} onPress={() => form.reset(defaults(group))}>
            Undo changes
          </Button>
        </div>
      )}
    </Form>
  );
}
