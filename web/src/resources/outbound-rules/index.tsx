// Outbound Rules: the ordered list (Move up / Move down change `position`), create / edit,
// delete, and the "Explain a call" form.
import { Link } from 'react-router';
import { useQuery } from '@tanstack/react-query';
import { api, data } from '../../api/client';
import type { Column } from '../../components/DataTable';
import { OrderedList } from '../../components/OrderedList';
import { EditPage, NewPage, ResourceRoutes } from '../../components/ResourcePages';
import { GroupName, UserName, useAllTrunks } from '../common/names';
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

function CallersText(props: { rule: OutboundRule }) {
  const r = props.rule;
  if (r.caller_groups.length === 0 && r.caller_users.length === 0) {
    return <span className="muted">Every caller</span>;
  }
  return (
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
  );
}

function RuleList() {
  const rules = useRules();
  const trunks = useAllTrunks();
  const trunkName = (id: number) =>
    trunks.data?.items.find((t) => t.id === id)?.name ?? `#${id} (deleted)`;
  const columns: Column<OutboundRule>[] = [
    { header: 'Name', cell: (r) => <Link to={`/outbound-rules/${r.id}`}>{r.name}</Link> },
    { header: 'Dial patterns', className: 'mono cell-wrap', cell: (r) => r.patterns.join(', ') },
    { header: 'Caller User Group / users', cell: (r) => <CallersText rule={r} /> },
    { header: 'Trunks', cell: (r) => r.trunks.map(trunkName).join(' → ') },
    { header: 'Caller ID', cell: (r) => callerIdText(r) },
  ];
  return (
    <OrderedList
      title="Outbound Rules"
      path="/outbound-rules"
      what="outbound rules"
      query={rules}
      listKey={rulesKey}
      setPosition={(id, position) =>
        data(
          api.PATCH('/api/v1/outbound-rules/{id}', {
            params: { path: { id } },
            body: { position },
          }),
        )
      }
      empty="No outbound rules yet."
      intro={
        <p className="muted">
          Rules are tried from the top; the first that matches the number and the caller is used.
        </p>
      }
      columns={columns}
      delete={{
        label: (r) => `Delete rule ${r.name}`,
        title: (r) => `Delete outbound rule ${r.name}`,
        explanation: () => <p>The rules after it move up by one.</p>,
        onDelete: async (r) => {
          await api.DELETE('/api/v1/outbound-rules/{id}', { params: { path: { id: r.id } } });
          return undefined;
        },
        changed: [rulesKey, ['routing-gaps']],
      }}
    >
      <ExplainForm />
    </OrderedList>
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
