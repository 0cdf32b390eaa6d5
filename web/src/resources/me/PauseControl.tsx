import { useState } from 'react';
import { Button } from '../../components/ui';

/// Pause (with an optional reason) or resume: used for the own status and per group.
export function PauseControl(props: {
  paused: boolean;
  /** Names what is paused, for the accessible names ("Pause in Sales Dept"). */
  scope: string;
  busy: boolean;
  onPause: (reason: string) => void;
  onResume: () => void;
}) {
  const [reason, setReason] = useState('');
  const id = `reason-${props.scope.replace(/\W+/g, '-')}`;
  if (props.paused) {
    return (
      <Button isDisabled={props.busy} onPress={props.onResume}>
        Resume {props.scope}
      </Button>
    );
  }
  return (
    <form
      className="pause-control"
      onSubmit={(e) => {
        e.preventDefault();
        props.onPause(reason.trim());
        setReason('');
      }}
    >
      <div className="field">
        <label htmlFor={id}>Reason to pause {props.scope} (optional)</label>
        <input id={id} value={reason} maxLength={200} onChange={(e) => setReason(e.target.value)} />
      </div>
      <Button type="submit" isDisabled={props.busy}>
        Pause {props.scope}
      </Button>
    </form>
  );
}
