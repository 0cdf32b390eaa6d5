// Outbound Rules: the ordered list (Move up / Move down change `position`), create / edit,
// delete, and the "Explain a call" form.
import { useState } from 'react';
import { Link } from 'react-router';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import { useRole } from '../../auth/session';
import { DeleteDialog } from '../../components/DeleteDialog';
import { EditPage, NewPage, ResourceRoutes } from '../../components/ResourcePages';
import { Button, ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { GroupName, UserName, useAllTrunks } from '../common/names';
import { MoveButtons } from '../common/lists';
import { ExplainForm } from './Explain';
import { RuleForm, type OutboundRule, type OutboundRuleInput } from './RuleForm';
import '../common/common.css';

const rulesKey = ['outbound-rules'] as const;

function useRules() {
  return useQuery({
    queryKey: rulesKey,
    queryFn: () => data(api.GET('/api/v1/outbound-rules')),
  });
}

function callerIdText(r: OutboundRule): string {
  const p = r.caller_id?.policy ?? (r.caller_groups.length > 0 ? 'group' : 'user');
  if (p === 'fixed') return r.caller_id?.value ?? '';
  return p === 'group' ? "Group's" : "User's";
}

function RuleList() {
  const { admin } = useRole();
  const rules = useRules();
  const trunks = useAllTrunks();
  const queryClient = useQueryClient();
  const [deleting, setDeleting] = useState<OutboundRule | null>(null);
  const [moveError, setMoveError] = useState<unknown>(null);

  const move = useMutation({
    mutationFn: (v: { id: number; position: number }) =>
      data(
        api.PATCH('/api/v1/outbound-rules/{id}', {
          params: { path: { id: v.id } },
          body: { position: v.position },
        }),
      ),
    onMutate: () => setMoveError(null),
    onError: (e) => setMoveError(e),
    onSettled: () => queryClient.invalidateQueries({ queryKey: rulesKey }),
  });

  const trunkName = (id: number) =>
    trunks.data?.items.find((t) => t.id === id)?.name ?? `#${id} (deleted)`;
  const items = rules.data?.items ?? [];

  return (
    <section>
      <PageHeader
        title="Outbound Rules"
        actions={
          admin ? (
            <Link className="btn btn-primary" to="/outbound-rules/new">
              Add
            </Link>
          ) : null
        }
      />
      <p className="muted">
        Rules are tried from the top; the first that matches the number and the caller is used.
      </p>
      {rules.isPending ? <Loading what="outbound rules" /> : null}
      {rules.isError ? <ErrorMessage error={rules.error} /> : null}
      {moveError ? <ErrorMessage error={moveError} /> : null}
      {rules.data ? (
        items.length === 0 ? (
          <p className="muted">No outbound rules yet.</p>
        ) : (
          <table className="data">
            <thead>
              <tr>
                <th scope="col">#</th>
                <th scope="col">Name</th>
                <th scope="col">Dial patterns</th>
                <th scope="col">Caller User Group / users</th>
                <th scope="col">Trunks</th>
                <th scope="col">Caller ID</th>
                <th scope="col">
                  <span className="muted">Actions</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((r) => (
                <tr key={r.id}>
                  <td>{r.position}</td>
                  <td>
                    <Link to={`/outbound-rules/${r.id}`}>{r.name}</Link>
                  </td>
                  <td className="mono cell-wrap">{r.patterns.join(', ')}</td>
                  <td>
                    {r.caller_groups.length === 0 && r.caller_users.length === 0 ? (
                      <span className="muted">Every caller</span>
                    ) : (
                      <>
                        {r.caller_groups.map((g, i) => (
                          <span key={`g${g}`}>
                            {i > 0 ? ', ' : ''}
                            <GroupName id={g} />
                          </span>
                        ))}
                        {r.caller_groups.length > 0 && r.caller_users.length > 0 ? '; ' : ''}
                        {r.caller_users.map((u, i) => (
                          <span key={`u${u}`}>
                            {i > 0 ? ', ' : ''}
                            <UserName id={u} />
                          </span>
                        ))}
                      </>
                    )}
                  </td>
                  <td>{r.trunks.map(trunkName).join(' → ')}</td>
                  <td>{callerIdText(r)}</td>
                  <td className="actions">
                    {admin ? (
                      <span className="row-actions">
                        <MoveButtons
                          name={r.name}
                          position={r.position}
                          count={items.length}
                          isDisabled={move.isPending}
                          onMove={(position) => move.mutate({ id: r.id, position })}
                        />
                        <Link className="btn" to={`/outbound-rules/${r.id}`}>
                          Edit
                        </Link>
                        <Button aria-label={`Delete rule ${r.name}`} onPress={() => setDeleting(r)}>
                          Delete
                        </Button>
                      </span>
                    ) : null}
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        )
      ) : null}
      <ExplainForm />
      {deleting ? (
        <DeleteDialog
          isOpen
          onOpenChange={(open) => {
            if (!open) setDeleting(null);
          }}
          title={`Delete outbound rule ${deleting.name}`}
          explanation={<p>The rules after it move up by one.</p>}
          onDelete={async () => {
            await api.DELETE('/api/v1/outbound-rules/{id}', {
              params: { path: { id: deleting.id } },
            });
            return undefined;
          }}
          onDeleted={() => {
            setDeleting(null);
            void queryClient.invalidateQueries({ queryKey: rulesKey });
            void queryClient.invalidateQueries({ queryKey: ['routing-gaps'] });
          }}
        />
      ) : null}
    </section>
  );
}

function NewRule() {
  return (
    <NewPage
      title="Add outbound rule"
      listPath="/outbound-rules"
      listKey={rulesKey}
      create={(body: OutboundRuleInput) => data(api.POST('/api/v1/outbound-rules', { body }))}
    >
      {(form) => <RuleForm {...form} />}
    </NewPage>
  );
}

function EditRule() {
  return (
    <EditPage
      title="Outbound rule"
      what="the rule"
      listPath="/outbound-rules"
      listKey={rulesKey}
      itemKey={(id) => ['outbound-rule', id]}
      fetch={(id) => data(api.GET('/api/v1/outbound-rules/{id}', { params: { path: { id } } }))}
      update={(id, body: OutboundRuleInput) =>
        data(api.PATCH('/api/v1/outbound-rules/{id}', { params: { path: { id } }, body }))
      }
    >
      {(rule, form) => <RuleForm rule={rule} {...form} />}
    </EditPage>
  );
}

export default function OutboundRulesPage() {
  return <ResourceRoutes list={<RuleList />} create={<NewRule />} edit={<EditRule />} />;
}
