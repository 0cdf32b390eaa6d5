// Voicemail, for every role: the messages of the mailboxes the signed-in user may read (its
// own and its groups'; admins and supervisors every mailbox), newest first in pages, each
// with an in-browser player (the <audio> element fetches GET /voicemails/{id}/audio with the
// session cookie), Mark heard / Mark unheard and Delete. The mailbox and "Unheard only"
// filters are kept in the address; `?message=N` (from a call record) shows that message's
// player above the list.
import { useEffect, useState } from 'react';
import { useSearchParams } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { Paths } from '../../api/types';
import { useRole } from '../../auth/session';
import { AudioPlayer } from '../../components/AudioPrompt';
import { DataTable, type Column } from '../../components/DataTable';
import { Button, ErrorMessage, Loading, ModalDialog, PageHeader, Pager } from '../../components/ui';
import { useCursorPages } from '../../components/useDebounced';
import { formatDuration, formatTime } from '../common/format';
import { GroupName, UserName } from '../common/names';
import '../common/common.css';

type VoicemailPage =
  Paths['/api/v1/voicemails']['get']['responses'][200]['content']['application/json'];
export type Voicemail = VoicemailPage['items'][number];

export function voicemailAudioUrl(id: number): string {
  return `/api/v1/voicemails/${id}/audio`;
}

/// A mailbox choice as the address keeps it: "" (every mailbox I may read), "user-7",
/// "group-3".
export function mailboxQuery(mailbox: string): { box?: 'user' | 'group'; id?: number } {
  const m = /^(user|group)-(\d+)$/.exec(mailbox);
  return m ? { box: m[1] as 'user' | 'group', id: Number(m[2]) } : {};
}

/// The mailboxes the user may pick: its own, then its groups' (every group for admins and
/// supervisors, who read every mailbox).
function useMailboxes() {
  const { session, readAll } = useRole();
  const me = session?.user ?? null;
  const groups = useQuery({
    queryKey: readAll ? ['groups', 'list', 'mailboxes'] : ['users', me?.id, 'groups'],
    queryFn: async () => {
      if (readAll) {
        const page = await data(api.GET('/api/v1/groups', { params: { query: { limit: 1000 } } }));
        return page.items.map((g) => ({ id: g.id, name: g.name }));
      }
      const page = await data(
        api.GET('/api/v1/users/{id}/groups', { params: { path: { id: me!.id } } }),
      );
      return page.items.map((m) => ({ id: m.group_id, name: m.name ?? `#${m.group_id}` }));
    },
    enabled: readAll || me !== null,
  });
  const options = [
    { value: '', label: readAll ? 'All mailboxes' : 'All my mailboxes' },
    ...(me ? [{ value: `user-${me.id}`, label: 'My voicemail' }] : []),
    ...(groups.data ?? []).map((g) => ({ value: `group-${g.id}`, label: `Group: ${g.name}` })),
  ];
  return { options, error: groups.error };
}

function Mailbox(props: { message: Voicemail }) {
  const m = props.message;
  return m.box === 'group' ? (
    <>
      Group <GroupName id={m.box_id} />
    </>
  ) : (
    <>
      User <UserName id={m.box_id} />
    </>
  );
}

function callerText(m: Voicemail): string {
  const { number, name } = m.caller;
  if (name && number) return `${name} (${number})`;
  return name || number || 'Unknown caller';
}

const columns: Column<Voicemail>[] = [
  { header: 'Received', className: 'nowrap', cell: (m) => formatTime(m.started_at) },
  { header: 'Caller', cell: (m) => callerText(m) },
  { header: 'Called', className: 'mono', cell: (m) => m.called || '—' },
  {
    header: 'Group',
    cell: (m) => (m.group !== null && m.group !== undefined ? <GroupName id={m.group} /> : '—'),
  },
  { header: 'Mailbox', cell: (m) => <Mailbox message={m} /> },
  { header: 'Duration', className: 'nowrap', cell: (m) => formatDuration(m.duration_ms) },
  {
    header: 'Heard',
    cell: (m) =>
      m.heard ? (
        <span className="pill pill-off">Heard</span>
      ) : (
        <span className="pill pill-ok">New</span>
      ),
  },
  {
    header: 'Message',
    cell: (m) => (
      <AudioPlayer
        className="message-player"
        preload="none"
        src={voicemailAudioUrl(m.id)}
        label={`Message from ${callerText(m)}, ${formatTime(m.started_at)}`}
      />
    ),
  },
];

/// The message a call record links to: its player, above the list.
function LinkedMessage(props: { id: number; onClose: () => void }) {
  return (
    <section className="panel" aria-labelledby="linked-message">
      <h2 id="linked-message">Message {props.id}</h2>
      <div className="audio-now">
        <AudioPlayer src={voicemailAudioUrl(props.id)} label={`Message ${props.id}`} />
        <Button onPress={props.onClose}>Show all messages</Button>
      </div>
    </section>
  );
}

export default function VoicemailPage() {
  const [params, setParams] = useSearchParams();
  const queryClient = useQueryClient();
  const mailboxes = useMailboxes();
  const mailbox = params.get('mailbox') ?? '';
  const unheard = params.get('unheard') === '1';
  const linked = Number(params.get('message'));
  const filterKey = `${mailbox}|${unheard ? 1 : 0}`;
  const pages = useCursorPages(filterKey);
  const [deleting, setDeleting] = useState<Voicemail | null>(null);
  // The two filter controls show a change at once and the address follows: a router
  // navigation is a transition, and a control bound to the address alone snaps back until it
  // commits (a second click in between is lost).
  const [shown, setShown] = useState({ mailbox, unheard });
  useEffect(() => setShown({ mailbox, unheard }), [mailbox, unheard]);

  const messages = useQuery({
    queryKey: ['voicemails', filterKey, pages.cursor],
    queryFn: () =>
      data(
        api.GET('/api/v1/voicemails', {
          params: {
            query: {
              ...mailboxQuery(mailbox),
              ...(unheard ? { heard: false } : {}),
              limit: 25,
              ...(pages.cursor ? { cursor: pages.cursor } : {}),
            } as never,
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });

  const mark = useMutation({
    mutationFn: (v: { id: number; heard: boolean }) =>
      data(
        api.PATCH('/api/v1/voicemails/{id}', {
          params: { path: { id: v.id } },
          body: { heard: v.heard },
        }),
      ),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['voicemails'] }),
  });
  const remove = useMutation({
    mutationFn: (id: number) =>
      data(api.DELETE('/api/v1/voicemails/{id}', { params: { path: { id } } })),
    onSuccess: () => setDeleting(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['voicemails'] }),
  });

  function setFilter(next: { mailbox?: string; unheard?: boolean }) {
    const p = new URLSearchParams();
    const mb = next.mailbox ?? shown.mailbox;
    const uh = next.unheard ?? shown.unheard;
    setShown({ mailbox: mb, unheard: uh });
    if (mb) p.set('mailbox', mb);
    if (uh) p.set('unheard', '1');
    setParams(p);
  }

  const items = messages.data?.items ?? [];
  return (
    <section>
      <PageHeader title="Voicemail" />
      {Number.isInteger(linked) && linked > 0 ? (
        <LinkedMessage
          id={linked}
          onClose={() => {
            const p = new URLSearchParams(params);
            p.delete('message');
            setParams(p);
          }}
        />
      ) : null}
      <div className="toolbar">
        <div className="field">
          <label htmlFor="vm-mailbox">Mailbox</label>
          <select
            id="vm-mailbox"
            value={shown.mailbox}
            onChange={(e) => setFilter({ mailbox: e.target.value })}
          >
            {mailboxes.options.map((o) => (
              <option key={o.value} value={o.value}>
                {o.label}
              </option>
            ))}
          </select>
        </div>
        <div className="field field-checkbox">
          <label>
            <input
              type="checkbox"
              checked={shown.unheard}
              onChange={(e) => setFilter({ unheard: e.target.checked })}
            />{' '}
            Unheard only
          </label>
        </div>
      </div>
      {mailboxes.error ? <ErrorMessage error={mailboxes.error} /> : null}
      {mark.error ? <ErrorMessage error={mark.error} /> : null}
      {messages.isPending ? <Loading what="messages" /> : null}
      {messages.error ? <ErrorMessage error={messages.error} /> : null}
      {messages.data ? (
        <DataTable
          aria-label="Messages"
          columns={columns}
          rows={items}
          rowKey={(m) => m.id}
          empty="No messages."
          actions={(m) => (
            <span className="row-actions">
              <Button
                aria-label={`${m.heard ? 'Mark unheard' : 'Mark heard'}: message from ${callerText(m)}`}
                isDisabled={mark.isPending}
                onPress={() => mark.mutate({ id: m.id, heard: !m.heard })}
              >
                {m.heard ? 'Mark unheard' : 'Mark heard'}
              </Button>
              <Button
                variant="danger"
                aria-label={`Delete message from ${callerText(m)}`}
                onPress={() => {
                  remove.reset();
                  setDeleting(m);
                }}
              >
                Delete
              </Button>
            </span>
          )}
        />
      ) : null}
      <Pager label="Voicemail pages" pages={pages} nextCursor={messages.data?.next_cursor} />
      {deleting ? (
        <ModalDialog
          isOpen
          role="alertdialog"
          title="Delete this message?"
          onOpenChange={(open) => {
            if (!open) setDeleting(null);
          }}
        >
          <p>
            The message from {callerText(deleting)} of {formatTime(deleting.started_at)} is deleted
            for everyone who reads this mailbox. It cannot be undone.
          </p>
          {remove.error ? <ErrorMessage error={remove.error} /> : null}
          <div className="form-actions">
            <Button
              variant="danger"
              isDisabled={remove.isPending}
              onPress={() => remove.mutate(deleting.id)}
            >
              Delete message
            </Button>
            <Button onPress={() => setDeleting(null)}>Cancel</Button>
          </div>
        </ModalDialog>
      ) : null}
    </section>
  );
}
