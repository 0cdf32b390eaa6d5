// A user's voicemail greeting (PUT/GET/DELETE /users/{id}/greeting): on My profile (the user
// changes its own) and on a user's page (an administrator changes anyone's).
import { AudioPrompt } from '../../components/AudioPrompt';

export function UserGreeting(props: { userId: number; own: boolean; readOnly: boolean }) {
  return (
    <div className="panel">
      <AudioPrompt
        route="/api/v1/users/{id}/greeting"
        id={props.userId}
        title="Greeting"
        defaultLabel="Default greeting"
        resetLabel="Use default greeting"
        description={
          props.own
            ? 'Plays to callers before your voicemail records their message.'
            : "Plays to callers before this user's voicemail records their message."
        }
        readOnly={props.readOnly}
      />
    </div>
  );
}
