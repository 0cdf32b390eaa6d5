// The columns an active call and a call record share: who called, what was dialled, the
// group that took the call and who answered.
import { Link } from 'react-router';
import type { Column } from '../../components/DataTable';
import { GroupName, UserName } from '../common/names';

interface CallParties {
  caller: string;
  caller_user: number | null;
  dialled: string;
  group: number | null;
  answered_by: number | null;
}

const none = <span className="muted">—</span>;

export const partyColumns: Column<CallParties>[] = [
  {
    header: 'Caller',
    cell: (c) => (
      <>
        {c.caller}
        {c.caller_user !== null ? (
          <span className="muted">
            {' '}
            (<UserName id={c.caller_user} />)
          </span>
        ) : null}
      </>
    ),
  },
  { header: 'Dialled', className: 'mono', cell: (c) => c.dialled },
  { header: 'Group', cell: (c) => (c.group !== null ? <GroupName id={c.group} /> : none) },
  {
    header: 'Answered by',
    cell: (c) => (c.answered_by !== null ? <UserName id={c.answered_by} /> : none),
  },
];

/// A call record's disposition in words; a call a mailbox took links to its message.
export function Disposition(props: {
  disposition: string | null | undefined;
  voicemailId?: number | null | undefined;
}) {
  if (!props.disposition) return <span className="muted">in progress</span>;
  const text = props.disposition.replace(/_/g, ' ');
  if (typeof props.voicemailId === 'number') {
    return (
      <>
        {text}{' '}
        <Link to={`/voicemail?message=${props.voicemailId}`}>(message {props.voicemailId})</Link>
      </>
    );
  }
  return <>{text}</>;
}
