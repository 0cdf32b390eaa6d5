// The one audio widget of the console, for the four places a WAV can replace a built-in
// sound: a group's greeting and waiting music, a user's greeting, an IVR menu's prompt.
// The player plays what callers hear (GET answers the uploaded WAV or the default, and says
// which in X-Cohort-Audio-Source); Upload WAV sends the file as the raw request body
// (PUT, Content-Type audio/wav) and shows the API's 400 message; the reset button DELETEs
// the upload, back to the default.
import { useId, useRef, useState } from 'react';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { api } from '../api/client';
import { isApiError } from '../api/errors';
import { Button, ErrorMessage, Loading } from './ui';

/// The audio routes, all `{id}` of their resource; GET, PUT and DELETE on each.
export type AudioRoute =
  | '/api/v1/groups/{id}/greeting'
  | '/api/v1/groups/{id}/waiting-music'
  | '/api/v1/users/{id}/greeting'
  | '/api/v1/ivr-menus/{id}/prompt';

export type AudioSource = 'uploaded' | 'default';

export function audioUrl(route: AudioRoute, id: number): string {
  return route.replace('{id}', String(id));
}

export function audioQueryKey(route: AudioRoute, id: number) {
  return ['audio', route, id] as const;
}

/// Which sound plays: the GET's header only. The body is cancelled once the headers are in,
/// so a long upload is not downloaded twice (the <audio> element fetches it itself).
async function fetchSource(route: AudioRoute, id: number): Promise<AudioSource> {
  const { data: body, response } = await api.GET(route, {
    params: { path: { id } },
    parseAs: 'stream',
  });
  await (body as ReadableStream | null | undefined)?.cancel().catch(() => undefined);
  return response.headers.get('X-Cohort-Audio-Source') === 'uploaded' ? 'uploaded' : 'default';
}

/// The console's audio player: the browser's own controls (keyboard and screen-reader
/// accessible), playing an API route with the session cookie.
export function AudioPlayer(props: {
  src: string;
  label: string;
  preload?: 'none' | 'metadata';
  className?: string;
}) {
  return (
    // Recorded voice (greetings, prompts, callers' messages) has no transcript to offer as
    // captions; the player's name says what it plays.
    // eslint-disable-next-line jsx-a11y/media-has-caption
    <audio
      controls
      preload={props.preload ?? 'metadata'}
      src={props.src}
      aria-label={props.label}
      {...(props.className ? { className: props.className } : {})}
    />
  );
}

function errorText(e: unknown): string {
  if (isApiError(e)) return e.status === 403 ? 'Your role may not change this.' : e.message;
  return e instanceof Error ? e.message : 'Something went wrong';
}

export function AudioPrompt(props: {
  route: AudioRoute;
  id: number;
  /** The section's name, e.g. "Greeting"; its legend and the player's name. */
  title: string;
  /** What plays while nothing is uploaded, e.g. "Default greeting". */
  defaultLabel: string;
  /** The reset button, e.g. "Use default greeting". */
  resetLabel: string;
  description?: string;
  readOnly: boolean;
}) {
  const { route, id, title } = props;
  const queryClient = useQueryClient();
  const key = audioQueryKey(route, id);
  const uid = useId();
  const fileInput = useRef<HTMLInputElement>(null);
  const [file, setFile] = useState<File | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  // Bumped after every change, so the player reloads what now plays (answers are no-store).
  const [version, setVersion] = useState(0);

  const source = useQuery({ queryKey: key, queryFn: () => fetchSource(route, id) });

  async function changed(message: string) {
    setVersion((v) => v + 1);
    setNotice(message);
    await queryClient.invalidateQueries({ queryKey: key });
  }

  async function upload() {
    if (!file) return;
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      const bytes = await file.arrayBuffer();
      const answer = await api.PUT(route, {
        params: { path: { id } },
        // The WAV itself is the body: no JSON, no multipart.
        body: bytes as never,
        bodySerializer: (b: unknown) => b as BodyInit,
        headers: { 'Content-Type': 'audio/wav' },
      });
      const info = answer.data as { duration_ms?: number } | undefined;
      setFile(null);
      if (fileInput.current) fileInput.current.value = '';
      const seconds =
        typeof info?.duration_ms === 'number'
          ? ` (${Math.round(info.duration_ms / 100) / 10} s)`
          : '';
      await changed(`Uploaded ${file.name}${seconds}.`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  async function reset() {
    setBusy(true);
    setError(null);
    setNotice(null);
    try {
      await api.DELETE(route, { params: { path: { id } } });
      await changed(`${props.defaultLabel} restored.`);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(false);
    }
  }

  const fileId = `${uid}-file`;
  const errorId = `${uid}-error`;
  const descriptionId = `${uid}-description`;
  const uploaded = source.data === 'uploaded';
  return (
    <fieldset
      className="audio-prompt"
      {...(props.description ? { 'aria-describedby': descriptionId } : {})}
    >
      <legend>{title}</legend>
      {props.description ? (
        <p id={descriptionId} className="muted">
          {props.description}
        </p>
      ) : null}
      {source.isPending ? <Loading what={title.toLowerCase()} /> : null}
      {source.error ? <ErrorMessage error={source.error} /> : null}
      {source.data ? (
        <div className="audio-now">
          <span className={`pill ${uploaded ? 'pill-ok' : ''}`}>
            {uploaded ? 'Uploaded' : props.defaultLabel}
          </span>
          <AudioPlayer
            key={version}
            src={audioUrl(route, id)}
            label={`${title}: ${uploaded ? 'uploaded' : props.defaultLabel.toLowerCase()}`}
          />
        </div>
      ) : null}
      {error ? (
        <div className="banner banner-error" role="alert" id={errorId}>
          {error}
        </div>
      ) : null}
      {notice ? (
        <div className="banner banner-ok" role="status">
          {notice}
        </div>
      ) : null}
      {props.readOnly ? null : (
        <div className="audio-actions">
          <div className="field">
            <label htmlFor={fileId}>WAV file</label>
            <input
              id={fileId}
              ref={fileInput}
              type="file"
              accept=".wav,audio/wav,audio/x-wav,audio/wave"
              disabled={busy}
              aria-invalid={error ? true : undefined}
              aria-describedby={error ? errorId : undefined}
              onChange={(e) => {
                setFile(e.target.files?.[0] ?? null);
                setError(null);
              }}
            />
            <span className="description">
              Any rate, width and channels; at most 5 minutes and 10 MB.
            </span>
          </div>
          <div className="form-actions">
            <Button variant="primary" isDisabled={!file || busy} onPress={() => void upload()}>
              Upload WAV
            </Button>
            {uploaded ? (
              <Button isDisabled={busy} onPress={() => void reset()}>
                {props.resetLabel}
              </Button>
            ) : null}
          </div>
        </div>
      )}
    </fieldset>
  );
}
