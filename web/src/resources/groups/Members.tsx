import { useState } from 'react';
import { Link } from 'react-router';
import { keepPreviousData, useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { Checkbox } from 'react-aria-components';
import { api, data } from '../../api/client';
import { isApiError } from '../../api/errors';
import type { Group, Member } from '../../api/types';
import { useRole } from '../../auth/session';
import { Button, ErrorMessage, IconButton, Loading, ModalDialog, Pager } from '../../components/ui';
import { useCursorPages, useDebounced } from '../../components/useDebounced';

const PAGE = 100;

type MemberBody = { position?: number; paused?: boolean; pause_reason?: string };

function AddMembersDialog(props: {
  group: Group;
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  onAdded: () => Promise<unknown>;
}) {
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), 150);
  const [selected, setSelected] = useState<Map<number, string>>(new Map());
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const results = useQuery({
    queryKey: ['users', 'search', q],
    queryFn: ({ signal }) =>
      data(
        api.GET('/api/v1/users', {
          params: { query: { ...(q ? { q } : {}), limit: 25 } },
          signal,
        }),
      ),
    enabled: props.isOpen,
    placeholderData: keepPreviousData,
  });

  function close(open: boolean) {
    if (!open) {
      setSelected(new Map());
      setText('');
      setError(null);
    }
    props.onOpenChange(open);
  }

  async function add() {
    setBusy(true);
    setError(null);
    const done: number[] = [];
    try {
      for (const userId of selected.keys()) {
        await data(
          api.PUT('/api/v1/groups/{id}/members/{user_id}', {
            params: { path: { id: props.group.id, user_id: userId } },
            body: {},
          }),
        );
        done.push(userId);
      }
      await props.onAdded();
      close(false);
    } catch (e) {
      // Keep the ones not added yet selected, so that nothing chosen is lost.
      setSelected((s) => new Map([...s].filter(([id]) => !done.includes(id))));
      await props.onAdded();
      setError(isApiError(e) || e instanceof Error ? e.message : 'Could not add');
    } finally {
      setBusy(false);
    }
  }

  return (
    <ModalDialog isOpen={props.isOpen} onOpenChange={close} title="Add Members">
      {error ? (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      ) : null}
      <div className="search field">
        <label htmlFor="add-members-search">Search by name or e-mail</label>
        <input
          id="add-members-search"
          type="search"
          value={text}
          onChange={(e) => setText(e.target.value)}
        />
      </div>
      <div className="add-members-results" role="group" aria-label="Users found">
        {results.data?.items.map((u) => (
          <div className="field-checkbox" key={u.id}>
            <Checkbox
              isSelected={selected.has(u.id)}
              onChange={(on) =>
                setSelected((s) => {
                  const next = new Map(s);
                  if (on) next.set(u.id, u.name);
                  else next.delete(u.id);
                  return next;
                })
              }
            >
              <span className="checkbox-box" aria-hidden="true" />
              {u.name} <span className="muted">{u.email}</span>
            </Checkbox>
          </div>
        ))}
        {results.data && results.data.items.length === 0 ? (
          <p className="muted">Nobody matches.</p>
        ) : null}
      </div>
      <p className="muted" role="status">
        {selected.size} selected{selected.size ? `: ${[...selected.values()].join(', ')}` : ''}
      </p>
      <div className="form-actions">
        <Button
          variant="primary"
          isDisabled={selected.size === 0 || busy}
          onPress={() => void add()}
        >
          Add
        </Button>
        <Button slot="close">Cancel</Button>
      </div>
    </ModalDialog>
  );
}

function PauseDialog(props: {
  member: Member | null;
  groupName: string;
  onClose: () => void;
  onPause: (reason: string) => Promise<void>;
}) {
  const [reason, setReason] = useState('');
  const [error, setError] = useState<string | null>(null);
  const m = props.member;
  return (
    <ModalDialog
      isOpen={m !== null}
      onOpenChange={(open) => {
        if (!open) {
          setReason('');
          setError(null);
          props.onClose();
        }
      }}
      title={m ? `Pause ${m.name ?? `user ${m.user_id}`} in ${props.groupName}` : 'Pause'}
    >
      <form
        onSubmit={(e) => {
          e.preventDefault();
          props
            .onPause(reason.trim())
            .then(() => {
              setReason('');
              props.onClose();
            })
            .catch((err: unknown) => setError(err instanceof Error ? err.message : 'Failed'));
        }}
      >
        {error ? (
          <div className="banner banner-error" role="alert">
            {error}
          </div>
        ) : null}
        <div className="field">
          <label htmlFor="pause-reason">Reason (optional)</label>
          <input
            id="pause-reason"
            value={reason}
            maxLength={200}
            onChange={(e) => setReason(e.target.value)}
          />
        </div>
        <div className="form-actions">
          <Button type="submit" variant="primary">
            Pause
          </Button>
          <Button slot="close">Cancel</Button>
        </div>
      </form>
    </ModalDialog>
  );
}

export function Members(props: { group: Group }) {
  const { group } = props;
  const { admin, pauseAnyone } = useRole();
  const queryClient = useQueryClient();
  const pages = useCursorPages(group.id);
  const [adding, setAdding] = useState(false);
  const [pausing, setPausing] = useState<Member | null>(null);
  const [error, setError] = useState<string | null>(null);

  const members = useQuery({
    queryKey: ['groups', group.id, 'members', pages.cursor],
    queryFn: () =>
      data(
        api.GET('/api/v1/groups/{id}/members', {
          params: {
            path: { id: group.id },
            query: { limit: PAGE, ...(pages.cursor ? { cursor: pages.cursor } : {}) },
          },
        }),
      ),
    placeholderData: keepPreviousData,
  });
  const refresh = () =>
    Promise.all([
      queryClient.invalidateQueries({ queryKey: ['groups', group.id] }),
      queryClient.invalidateQueries({ queryKey: ['groups', 'list'] }),
      queryClient.invalidateQueries({ queryKey: ['users'] }),
    ]);

  const put = useMutation({
    mutationFn: (v: { userId: number; body: MemberBody }) =>
      data(
        api.PUT('/api/v1/groups/{id}/members/{user_id}', {
          params: { path: { id: group.id, user_id: v.userId } },
          body: v.body,
        }),
      ),
    onSuccess: refresh,
    onError: (e) => setError(e.message),
  });
  const remove = useMutation({
    mutationFn: (userId: number) =>
      data(
        api.DELETE('/api/v1/groups/{id}/members/{user_id}', {
          params: { path: { id: group.id, user_id: userId } },
        }),
      ),
    onSuccess: refresh,
    onError: (e) => setError(e.message),
  });

  const items = members.data?.items ?? [];
  const last = group.member_count;
  const busy = put.isPending || remove.isPending;

  return (
    <div>
      <div className="toolbar">
        {admin ? (
          <Button variant="primary" onPress={() => setAdding(true)}>
            Add Members
          </Button>
        ) : null}
        <span className="muted">Position is the ring order of the Sequential strategy.</span>
      </div>
      {error ? (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      ) : null}
      {members.isPending ? <Loading what="members" /> : null}
      {members.error ? <ErrorMessage error={members.error} /> : null}
      {members.data ? (
        <table className="data members-table" aria-label="Members">
          <thead>
            <tr>
              <th scope="col">Position</th>
              <th scope="col">Name</th>
              <th scope="col">E-mail</th>
              <th scope="col">Extension</th>
              <th scope="col">In this group</th>
              <th scope="col">
                <span className="sr-only">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((m) => {
              const name = m.name ?? `User ${m.user_id}`;
              return (
                <tr key={m.user_id}>
                  <td className="position">{m.position}</td>
                  <td>
                    <Link to={`/users/${m.user_id}`}>{name}</Link>
                    {m.active === false ? <span className="pill pill-off"> inactive</span> : null}
                  </td>
                  <td>{m.email}</td>
                  <td>{m.extension}</td>
                  <td>
                    {m.paused ? (
                      <span className="pill pill-warn">
                        Paused{m.pause_reason ? `: ${m.pause_reason}` : ''}
                      </span>
                    ) : (
                      <span className="pill pill-ok">Taking calls</span>
                    )}
                  </td>
                  <td className="actions">
                    {admin ? (
                      <>
                        <IconButton
                          label={`Move ${name} up`}
                          icon="↑"
                          isDisabled={busy || m.position <= 1}
                          onPress={() =>
                            put.mutate({ userId: m.user_id, body: { position: m.position - 1 } })
                          }
                        />
                        <IconButton
                          label={`Move ${name} down`}
                          icon="↓"
                          isDisabled={busy || m.position >= last}
                          onPress={() =>
                            put.mutate({ userId: m.user_id, body: { position: m.position + 1 } })
                          }
                        />
                      </>
                    ) : null}
                    {pauseAnyone ? (
                      m.paused ? (
                        <Button
                          isDisabled={busy}
                          onPress={() => put.mutate({ userId: m.user_id, body: { paused: false } })}
                        >
                          Resume {name}
                        </Button>
                      ) : (
                        <Button isDisabled={busy} onPress={() => setPausing(m)}>
                          Pause {name}
                        </Button>
                      )
                    ) : null}
                    {admin ? (
                      <IconButton
                        label={`Remove ${name}`}
                        icon="✕"
                        isDisabled={busy}
                        onPress={() => {
                          setError(null);
                          remove.mutate(m.user_id);
                        }}
                      />
                    ) : null}
                  </td>
                </tr>
              );
            })}
            {items.length === 0 ? (
              <tr>
                <td colSpan={6} className="muted">
                  No members yet.
                </td>
              </tr>
            ) : null}
          </tbody>
        </table>
      ) : null}
      <Pager label="Members pages" pages={pages} nextCursor={members.data?.next_cursor} />
      <AddMembersDialog group={group} isOpen={adding} onOpenChange={setAdding} onAdded={refresh} />
      <PauseDialog
        member={pausing}
        groupName={group.name}
        onClose={() => setPausing(null)}
        onPause={async (reason) => {
          setError(null);
          if (!pausing) return;
          await put.mutateAsync({
            userId: pausing.user_id,
            body: { paused: true, ...(reason ? { pause_reason: reason } : {}) },
          });
        }}
      />
    </div>
  );
}
