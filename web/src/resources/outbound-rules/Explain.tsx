// "Explain a call": which rule a call from this user to this number would take, and why the
// rules before it did not (POST /api/v1/outbound-rules/explain).
import { useState } from 'react';
import { Link } from 'react-router';
import { Controller, useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { api, data } from '../../api/client';
import { applyApiError } from '../../api/forms';
import type { components } from '../../api/schema';
import { EntityPicker } from '../../components/EntityPicker';
import { FormBanner, TextInput } from '../../components/fields';
import { Button } from '../../components/ui';

type ExplainResult = components['schemas']['ExplainResult'];

const schema = z
  .object({
    caller_user_id: z.number().nullable(),
    number: z.string().trim().min(1, 'Enter the number dialled'),
  })
  .superRefine((v, ctx) => {
    if (v.caller_user_id === null) {
      ctx.addIssue({ code: 'custom', path: ['caller_user_id'], message: 'Choose the caller' });
    }
  });
type Values = z.infer<typeof schema>;

export function ExplainResultView(props: { result: ExplainResult }) {
  const r = props.result;
  return (
    <div className="explain-result" aria-live="polite">
      {r.matched && r.rule ? (
        <p>
          Matched rule: <Link to={`/outbound-rules/${r.rule.id}`}>{r.rule.name}</Link>
        </p>
      ) : (
        <p className="state-closed">No rule matches. {r.reason}</p>
      )}
      {r.matched ? (
        <dl>
          <dt>Number sent</dt>
          <dd className="mono">{r.number ?? '—'}</dd>
          <dt>Caller ID</dt>
          <dd className="mono">{r.caller_id || '—'}</dd>
          <dt>Caller ID group</dt>
          <dd>
            {r.caller_id_group ? r.caller_id_group.name : <span className="muted">none</span>}
          </dd>
          <dt>Trunks</dt>
          <dd>
            {r.trunks.length === 0 ? (
              <span className="muted">none</span>
            ) : (
              <ol className="id-list">
                {r.trunks.map((t) => (
                  <li key={t.id}>{t.name}</li>
                ))}
              </ol>
            )}
          </dd>
        </dl>
      ) : null}
      {r.skipped.length > 0 ? (
        <>
          <h3>Skipped rules</h3>
          <table className="data">
            <thead>
              <tr>
                <th scope="col">Rule</th>
                <th scope="col">Reason</th>
              </tr>
            </thead>
            <tbody>
              {r.skipped.map((s) => (
                <tr key={s.rule.id}>
                  <td>{s.rule.name}</td>
                  <td>{s.reason}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </>
      ) : null}
    </div>
  );
}

export function ExplainForm() {
  const [result, setResult] = useState<ExplainResult | null>(null);
  const [banner, setBanner] = useState<string | null>(null);
  const form = useForm<Values>({
    resolver: zodResolver(schema),
    defaultValues: { caller_user_id: null, number: '' },
  });

  async function submit(v: Values) {
    setBanner(null);
    try {
      const r = await data(
        api.POST('/api/v1/outbound-rules/explain', {
          body: { caller_user_id: v.caller_user_id!, number: v.number.trim() },
        }),
      );
      setResult(r);
    } catch (e) {
      setResult(null);
      setBanner(applyApiError(e, form.setError, ['caller_user_id', 'number']));
    }
  }

  return (
    <section className="panel" aria-labelledby="explain-heading">
      <h2 id="explain-heading">Explain a call</h2>
      <form
        className="form"
        aria-label="Explain a call"
        noValidate
        onSubmit={(e) => void form.handleSubmit(submit)(e)}
      >
        <FormBanner message={banner} />
        <div className="form-two">
          <Controller
            control={form.control}
            name="caller_user_id"
            render={({ field, fieldState }) => (
              <EntityPicker
                kind="user"
                label="Caller user"
                value={field.value}
                onChange={(id) => field.onChange(id)}
                errorMessage={fieldState.error?.message}
              />
            )}
          />
          <TextInput control={form.control} name="number" label="Number dialled" inputMode="tel" />
        </div>
        <div className="form-actions">
          <Button type="submit" variant="primary" isDisabled={form.formState.isSubmitting}>
            Explain
          </Button>
        </div>
      </form>
      {result ? <ExplainResultView result={result} /> : null}
    </section>
  );
}
