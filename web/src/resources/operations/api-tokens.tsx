// API tokens: every token (admins) or one's own; an admin issues a token for a user and
// sees its secret once, in a dialog with a copy button; revoke.
import { useState } from 'react';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { isApiError } from '../../api/errors';
import type { components } from '../../api/schema';
import { useRole } from '../../auth/session';
import { EntityPicker } from '../../components/EntityPicker';
import { Button, ErrorMessage, Loading, ModalDialog, PageHeader, Pager } from '../../components/ui';
import { useCursorPages } from '../../components/useDebounced';
import { formatTime } from '../common/format';
import { UserName } from '../common/names';
import '../common/common.css';

type Token = components['schemas']['Token'];
type TokenCreated = components['schemas']['TokenCreated'];

/// Issue a token: pick the user, then the secret, shown in this dialog only. Closing the
/// dialog forgets it.
export function IssueTokenDialog(props: {
  isOpen: boolean;
  onOpenChange: (open: boolean) => void;
  onIssued: () => void;
}) {
  const [userId, setUserId] = useState<number | null>(null);
  const [created, setCreated] = useState<TokenCreated | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const [copied, setCopied] = useState<string | null>(null);

  function close(open: boolean) {
    if (open) return;
    setUserId(null);
    setCreated(null);
    setError(null);
    setCopied(null);
    props.onOpenChange(false);
  }

  async function issue() {
    if (userId === null) {
      setError('Choose the user the token acts for');
      return;
    }
    setBusy(true);
    setError(null);
    try {
      const t = await data(api.POST('/api/v1/tokens', { body: { user_id: userId } }));
      setCreated(t);
      props.onIssued();
    } catch (e) {
      setError(isApiError(e) || e instanceof Error ? e.message : 'The token was not issued');
    } finally {
      setBusy(false);
    }
  }

  async function copy(secret: string) {
    try {
      await navigator.clipboard.writeText(secret);
      setCopied('Copied to the clipboard.');
    } catch {
      setCopied('Copying failed: select the token and copy it by hand.');
    }
  }

  return (
    <ModalDialog isOpen={props.isOpen} onOpenChange={close} title="Issue an API token">
      {created ? (
        <>
          <p>
            The token for <UserName id={created.user_id} />. <strong>It is shown only now</strong>:
            copy it somewhere safe. The server keeps only a hash of it.
          </p>
          <p className="secret" aria-label="The new token">
            {created.token}
          </p>
          <p role="status" className="muted">
            {copied ?? ''}
          </p>
          <div className="form-actions">
            <Button variant="primary" onPress={() => void copy(created.token)}>
              Copy
            </Button>
            <Button slot="close">Done</Button>
          </div>
        </>
      ) : (
        <div className="form">
          <EntityPicker
            kind="user"
            label="User"
            description="The token acts with this user's role"
            value={userId}
            onChange={(id) => setUserId(id)}
            errorMessage={error ?? undefined}
          />
          <div className="form-actions">
            <Button variant="primary" isDisabled={busy} onPress={() => void issue()}>
              Issue
            </Button>
            <Button slot="close">Cancel</Button>
          </div>
        </div>
      )}
    </ModalDialog>
  );
}

export default function ApiTokensPage() {
  const { admin, session } = useRole();
  const queryClient = useQueryClient();
  const pages = useCursorPages('tokens');
  const [issuing, setIssuing] = useState(false);
  const [revoking, setRevoking] = useState<Token | null>(null);
  const tokens = useQuery({
    queryKey: ['tokens', pages.cursor],
    queryFn: () =>
      data(api.GET('/api/v1/tokens', { params: { query: { limit: 100, cursor: pages.cursor } } })),
  });
  const revoke = useMutation({
    mutationFn: (id: number) => api.DELETE('/api/v1/tokens/{id}', { params: { path: { id } } }),
    onSuccess: () => setRevoking(null),
    onSettled: () => queryClient.invalidateQueries({ queryKey: ['tokens'] }),
  });
  const items = tokens.data?.items ?? [];
  const mayRevoke = (t: Token) => admin || t.user_id === session?.user?.id;

  return (
    <section>
      <PageHeader
        title="API tokens"
        actions={
          admin ? (
            <Button variant="primary" onPress={() => setIssuing(true)}>
              Issue
            </Button>
          ) : null
        }
      />
      <p className="muted">
        Tokens let scripts use the API as a user (header{' '}
        <span className="mono">Authorization: Bearer …</span>). The bootstrap admin token is not
        listed.
      </p>
      {tokens.isPending ? <Loading what="tokens" /> : null}
      {tokens.isError ? <ErrorMessage error={tokens.error} /> : null}
      {tokens.data && items.length === 0 ? <p className="muted">No tokens.</p> : null}
      {items.length > 0 ? (
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Token</th>
              <th scope="col">User</th>
              <th scope="col">Issued</th>
              <th scope="col">
                <span className="muted">Actions</span>
              </th>
            </tr>
          </thead>
          <tbody>
            {items.map((t) => (
              <tr key={t.id}>
                <td>#{t.id}</td>
                <td>
                  <UserName id={t.user_id} />
                </td>
                <td className="nowrap">{formatTime(t.created_at)}</td>
                <td className="actions">
                  {mayRevoke(t) ? (
                    <Button aria-label={`Revoke token #${t.id}`} onPress={() => setRevoking(t)}>
                      Revoke
                    </Button>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : null}
      <Pager label="Token pages" pages={pages} nextCursor={tokens.data?.next_cursor} />
      <IssueTokenDialog
        isOpen={issuing}
        onOpenChange={setIssuing}
        onIssued={() => void queryClient.invalidateQueries({ queryKey: ['tokens'] })}
      />
      {revoking ? (
        <ModalDialog
          isOpen
          role="alertdialog"
          onOpenChange={(open) => {
            if (!open) setRevoking(null);
          }}
          title={`Revoke token #${revoking.id}`}
        >
          <p>Scripts using this token stop working at once.</p>
          {revoke.isError ? <ErrorMessage error={revoke.error} /> : null}
          <div className="form-actions">
            <Button
              variant="danger"
              isDisabled={revoke.isPending}
              onPress={() => revoke.mutate(revoking.id)}
            >
              Revoke
            </Button>
            <Button slot="close">Cancel</Button>
          </div>
        </ModalDialog>
      ) : null}
    </section>
  );
}
