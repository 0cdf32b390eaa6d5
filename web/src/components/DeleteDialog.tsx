// Delete with the API's two steps: a plain DELETE, and when the server refuses (409 with the
// objects that still refer to this one) the list of those, then "Delete anyway" (?force=true),
// whose answer lists the routing gaps left behind.
import { useState, type ReactNode } from 'react';
import { Link } from 'react-router';
import { isApiError } from '../api/errors';
import type { Referrer } from '../api/types';
import { Button, ModalDialog } from './ui';

const referrerKinds: Record<Referrer['kind'], string> = {
  group: 'User group',
  outbound_rule: 'Outbound rule',
  inbound_route: 'Inbound route',
  user: 'User',
  ivr_menu: 'IVR menu',
};
const optionFields = Object.fromEntries(
  [...'0123456789*#'].map((k) => [`options.${k}`, `Key ${k}`]),
) as Record<`options.${string}`, string>;
const referrerFields: Record<Referrer['field'], string> = {
  fallback: 'Fallback routing',
  closed_destination: 'Closed destination',
  trunk: 'Trunk',
  schedule: 'Business hours',
  caller_groups: 'Caller User Group',
  caller_users: 'Caller user',
  trunks: 'Trunks',
  destination: 'Destination',
  'forwarding.always': 'Forward always',
  'forwarding.busy': 'Forward when busy',
  'forwarding.no_answer': 'Forward when not answered',
  timeout: 'Timeout destination',
  invalid: 'Invalid destination',
  ...optionFields,
} as Record<Referrer['field'], string>;

export function ReferrerList(props: { referrers: readonly Referrer[] }) {
  return (
    <ul className="referrers">
      {props.referrers.map((r) => (
        <li key={`${r.kind}-${r.id}-${r.field}`}>
          {referrerKinds[r.kind]} <strong>{r.name}</strong> ({referrerFields[r.field]})
        </li>
      ))}
    </ul>
  );
}

export interface DeleteResult {
  routing_gaps?: Referrer[];
  /** A forced trunk or schedule delete: the groups left without that trunk or schedule. */
  cleared?: Referrer[];
}

type Step =
  | { kind: 'confirm' }
  | { kind: 'referred'; referrers: Referrer[] }
  | { kind: 'done'; gaps: Referrer[]; cleared: Referrer[] };

export function DeleteDialog(props: {
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  title: string;
  /** What the deletion does and does not do. */
  explanation: ReactNode;
  /** DELETE, with ?force=true when `force`; resolves to the 200 body or undefined (204). */
  onDelete: (force: boolean) => Promise<DeleteResult | undefined>;
  /** Called once the object is gone and the dialog closes. */
  onDeleted: () => void;
}) {
  const [step, setStep] = useState<Step>({ kind: 'confirm' });
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  function close(open: boolean) {
    if (open) return;
    const wasDone = step.kind === 'done';
    setStep({ kind: 'confirm' });
    setError(null);
    props.onOpenChange(false);
    if (wasDone) props.onDeleted();
  }

  async function run(force: boolean) {
    setBusy(true);
    setError(null);
    try {
      const result = await props.onDelete(force);
      const gaps = result?.routing_gaps ?? [];
      const cleared = result?.cleared ?? [];
      if (gaps.length > 0 || cleared.length > 0) {
        setStep({ kind: 'done', gaps, cleared });
      } else {
        setStep({ kind: 'confirm' });
        props.onOpenChange(false);
        props.onDeleted();
      }
    } catch (e) {
      if (isApiError(e) && e.status === 409 && e.referrers && e.referrers.length > 0) {
        setStep({ kind: 'referred', referrers: e.referrers });
      } else {
        setError(isApiError(e) || e instanceof Error ? e.message : 'The delete failed');
      }
    } finally {
      setBusy(false);
    }
  }

  return (
    <ModalDialog isOpen={props.isOpen} onOpenChange={close} title={props.title} role="alertdialog">
      {error ? (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      ) : null}
      {step.kind === 'confirm' ? (
        <>
          <div>{props.explanation}</div>
          <div className="form-actions">
            <Button variant="danger" isDisabled={busy} onPress={() => void run(false)}>
              Delete
            </Button>
            <Button slot="close">Cancel</Button>
          </div>
        </>
      ) : null}
      {step.kind === 'referred' ? (
        <>
          <p>These still refer to it. Deleting anyway leaves each of them as a routing gap:</p>
          <ReferrerList referrers={step.referrers} />
          <div className="form-actions">
            <Button variant="danger" isDisabled={busy} onPress={() => void run(true)}>
              Delete anyway
            </Button>
            <Button slot="close">Cancel</Button>
          </div>
        </>
      ) : null}
      {step.kind === 'done' ? (
        <>
          <p role="status">
            {step.gaps.length > 0
              ? `Deleted. It left routing gaps (${step.gaps.length}):`
              : 'Deleted.'}
          </p>
          {step.cleared.length > 0 ? (
            <>
              <p>These no longer use it (the setting was cleared):</p>
              <ReferrerList referrers={step.cleared} />
            </>
          ) : null}
          {step.gaps.length > 0 ? (
            <>
              <p>These now point at nothing (routing gaps):</p>
              <ReferrerList referrers={step.gaps} />
              <p>
                Fix them on the <Link to="/routing-gaps">Routing gaps</Link> page.
              </p>
            </>
          ) : null}
          <div className="form-actions">
            <Button slot="close">Close</Button>
          </div>
        </>
      ) : null}
    </ModalDialog>
  );
}
