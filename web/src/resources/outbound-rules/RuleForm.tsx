// Create or edit an outbound rule: conditions (Caller User Group, caller users), dial
// patterns, strip / prepend, the trunk order and the caller-ID policy.
import { useState } from 'react';
import { Controller, useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { applyApiError } from '../../api/forms';
import type { components } from '../../api/schema';
import { CheckboxInput, FormBanner, SelectInput, TextInput } from '../../components/fields';
import { Button } from '../../components/ui';
import { useAllTrunks } from '../common/names';
import { IdListField, StringListField, fromRows, rowAliases, toRows } from '../common/lists';

export type OutboundRule = components['schemas']['OutboundRule'];
export type OutboundRuleInput = components['schemas']['OutboundRuleInput'];

export const ruleSchema = z
  .object({
    name: z.string().trim().min(1, 'Enter a name'),
    patterns: z.array(z.object({ value: z.string() })),
    caller_groups: z.array(z.number()),
    caller_users: z.array(z.number()),
    strip: z.string().trim().regex(/^\d+$/, 'Strip is 0–32 digits'),
    prepend: z.string(),
    trunks: z.array(z.number()).min(1, 'Choose at least one trunk'),
    caller_id_policy: z.enum(['', 'group', 'user', 'fixed']),
    caller_id_value: z.string(),
    allow_trunk_callers: z.boolean(),
  })
  .superRefine((v, ctx) => {
    if (fromRows(v.patterns).length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['patterns'],
        message: 'Add at least one dial pattern',
      });
    }
    if (v.caller_id_policy === 'fixed' && v.caller_id_value.trim() === '') {
      ctx.addIssue({ code: 'custom', path: ['caller_id_value'], message: 'Enter the caller ID' });
    }
    if (v.caller_id_policy === 'group' && v.caller_groups.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['caller_id_policy'],
        message: "The group's caller ID needs a Caller User Group",
      });
    }
  });
export type RuleValues = z.infer<typeof ruleSchema>;

const fieldNames = [
  'name',
  'patterns',
  'caller_groups',
  'caller_users',
  'strip',
  'prepend',
  'trunks',
  'caller_id_policy',
  'caller_id_value',
  'allow_trunk_callers',
];

export function ruleValues(r: OutboundRule | undefined): RuleValues {
  return {
    name: r?.name ?? '',
    patterns: toRows(r?.patterns ?? ['']),
    caller_groups: r?.caller_groups ?? [],
    caller_users: r?.caller_users ?? [],
    strip: String(r?.strip ?? 0),
    prepend: r?.prepend ?? '',
    trunks: r?.trunks ?? [],
    caller_id_policy: r?.caller_id?.policy ?? '',
    caller_id_value: r?.caller_id?.value ?? '',
    allow_trunk_callers: r?.allow_trunk_callers ?? false,
  };
}

export function ruleBody(v: RuleValues): OutboundRuleInput {
  return {
    name: v.name.trim(),
    // Every row is sent, empty ones included, so that patterns[i] of an error is row i.
    patterns: v.patterns.map((p) => p.value.trim()),
    caller_groups: v.caller_groups,
    caller_users: v.caller_users,
    strip: Number(v.strip),
    prepend: v.prepend.trim(),
    trunks: v.trunks,
    caller_id:
      v.caller_id_policy === ''
        ? null
        : v.caller_id_policy === 'fixed'
          ? { policy: 'fixed', value: v.caller_id_value.trim() }
          : { policy: v.caller_id_policy },
    allow_trunk_callers: v.allow_trunk_callers,
  };
}

export function RuleForm(props: {
  rule?: OutboundRule;
  readOnly: boolean;
  onSave: (body: OutboundRuleInput) => Promise<unknown>;
  onCancel: () => void;
}) {
  const editing = props.rule !== undefined;
  const ro = props.readOnly;
  const [banner, setBanner] = useState<string | null>(null);
  const trunks = useAllTrunks();
  const form = useForm<RuleValues>({
    resolver: zodResolver(ruleSchema),
    defaultValues: ruleValues(props.rule),
  });
  const { control } = form;
  const policy = form.watch('caller_id_policy');

  async function submit(values: RuleValues) {
    setBanner(null);
    try {
      await props.onSave(ruleBody(values));
    } catch (e) {
      setBanner(
        applyApiError(e, form.setError, fieldNames, {
          ...rowAliases('patterns', values.patterns.length),
          'caller_id.policy': 'caller_id_policy',
          'caller_id.value': 'caller_id_value',
          caller_id: 'caller_id_policy',
        }),
      );
    }
  }

  return (
    <form
      className="form form-wide"
      aria-label={editing ? `Outbound rule ${props.rule?.name ?? ''}` : 'New outbound rule'}
      noValidate
      onSubmit={(e) => void form.handleSubmit(submit)(e)}
    >
      <FormBanner message={banner} />
      <TextInput control={control} name="name" label="Name" isRequired isDisabled={ro} />
      <StringListField
        control={control}
        name="patterns"
        legend="Dial patterns"
        itemLabel="Pattern"
        description="_ starts a pattern: X any digit, Z 1–9, N 2–9, [1-5] a set, . one or more more, ! zero or more. Without _: a literal number."
        placeholder="_0[1-9]X."
        isDisabled={ro}
      />
      <Controller
        control={control}
        name="caller_groups"
        render={({ field, fieldState }) => (
          <IdListField
            kind="group"
            noun="group"
            legend="Caller User Group"
            description="The rule applies to callers in any of these groups (or one of the caller users below). None of both: every caller."
            value={field.value}
            onChange={field.onChange}
            errorMessage={fieldState.error?.message}
            isDisabled={ro}
          />
        )}
      />
      <Controller
        control={control}
        name="caller_users"
        render={({ field, fieldState }) => (
          <IdListField
            kind="user"
            noun="user"
            legend="Caller users"
            value={field.value}
            onChange={field.onChange}
            errorMessage={fieldState.error?.message}
            isDisabled={ro}
          />
        )}
      />
      <div className="form-two">
        <TextInput
          control={control}
          name="strip"
          label="Strip"
          inputMode="numeric"
          description="Leading digits removed from the number dialled (0–32)"
          isDisabled={ro}
        />
        <TextInput
          control={control}
          name="prepend"
          label="Prepend"
          description="Added in front after stripping: digits, * and #, an optional leading +"
          isDisabled={ro}
        />
      </div>
      <Controller
        control={control}
        name="trunks"
        render={({ field, fieldState }) => (
          <IdListField
            kind="trunk"
            noun="trunk"
            legend="Trunk order"
            description="Tried in this order"
            ordered
            trunks={trunks.data?.items ?? []}
            value={field.value}
            onChange={field.onChange}
            errorMessage={fieldState.error?.message}
            isDisabled={ro}
          />
        )}
      />
      <fieldset>
        <legend>Outbound Caller ID</legend>
        <div className="form-two">
          <SelectInput
            control={control}
            name="caller_id_policy"
            label="Caller ID policy"
            isDisabled={ro}
            options={[
              {
                value: '',
                label: "Default (the group's when a Caller User Group is set, else the user's)",
              },
              { value: 'group', label: "The Caller User Group's Outbound Caller ID" },
              { value: 'user', label: "The caller's own caller ID" },
              { value: 'fixed', label: 'A fixed number' },
            ]}
          />
          {policy === 'fixed' ? (
            <TextInput
              control={control}
              name="caller_id_value"
              label="Fixed caller ID"
              inputMode="tel"
              isDisabled={ro}
            />
          ) : null}
        </div>
      </fieldset>
      <CheckboxInput
        control={control}
        name="allow_trunk_callers"
        label="Allow trunk callers"
        description="Calls that came in from a trunk may leave through this rule (toll fraud risk)"
        isDisabled={ro}
      />
      <div className="form-actions">
        {ro ? null : (
          <Button type="submit" variant="primary" isDisabled={form.formState.isSubmitting}>
            {editing ? 'Save' : 'Add outbound rule'}
          </Button>
        )}
        <Button onPress={props.onCancel}>{ro ? 'Back' : 'Cancel'}</Button>
      </div>
    </form>
  );
}
