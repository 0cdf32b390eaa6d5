import { useState } from 'react';
import { Link, useNavigate } from 'react-router';
import { keepPreviousData, useQuery, useQueryClient } from '@tanstack/react-query';
import { useForm } from 'react-hook-form';
import { zodResolver } from '@hookform/resolvers/zod';
import { z } from 'zod';
import { Form } from 'react-aria-components';
import { api, data } from '../../api/client';
import { applyApiError } from '../../api/forms';
import { useRole } from '../../auth/session';
import { FormBanner, SelectInput, TextInput } from '../../components/fields';
import { Button, ErrorMessage, ModalDialog, PageHeader, Pager } from '../../components/ui';
import { useCursorPages, useDebounced } from '../../components/useDebounced';
import { ringStrategyLabels } from './labels';
import { parseId, useTrunkOptions } from './pickers';

const addSchema = z.object({
  name: z.string().trim().min(1, 'Enter a Group Name').max(200),
  outbound_caller_id: z
    .string()
    .trim()
    .regex(/^(\+?[0-9]{1,32})?$/, 'A caller ID is 1–32 digits with an optional leading +'),
  trunk: z.number().int().positive().nullable(),
});
type AddValues = z.infer<typeof addSchema>;

function AddGroupDialog(props: { isOpen: boolean; onOpenChange: (open: boolean) => void }) {
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const trunks = useTrunkOptions();
  const [banner, setBanner] = useState<string | null>(null);
  const form = useForm<AddValues>({
    resolver: zodResolver(addSchema),
    defaultValues: { name: '', outbound_caller_id: '', trunk: null },
  });
  const submit = form.handleSubmit(async (v) => {
    setBanner(null);
    try {
      const group = await data(
        api.POST('/api/v1/groups', {
          body: {
            name: v.name.trim(),
            outbound_caller_id: v.outbound_caller_id.trim() || null,
            trunk: v.trunk,
          },
        }),
      );
      await queryClient.invalidateQueries({ queryKey: ['groups'] });
      form.reset();
      props.onOpenChange(false);
      void navigate(`/groups/${group.id}`);
    } catch (e) {
      setBanner(applyApiError(e, form.setError, Object.keys(addSchema.shape)));
    }
  });
  return (
    <ModalDialog isOpen={props.isOpen} onOpenChange={props.onOpenChange} title="Add user group">
      <Form onSubmit={submit} aria-label="Add user group" validationBehavior="aria">
        <FormBanner message={banner} />
        <TextInput control={form.control} name="name" label="Group Name" isRequired />
        <TextInput
          control={form.control}
          name="outbound_caller_id"
          label="Outbound Caller ID"
          inputMode="tel"
          description="Presented on calls out by members, through an Outbound Rule with this Caller User Group."
        />
        <SelectInput
          control={form.control}
          name="trunk"
          label="Trunk"
          parse={parseId}
          options={[{ value: '', label: 'No trunk' }, ...(trunks.data ?? [])]}
        />
        <div className="form-actions">
          <Button type="submit" variant="primary" isDisabled={form.formState.isSubmitting}>
            Save
          </Button>
          <Button slot="close">Cancel</Button>
        </div>
      </Form>
    </ModalDialog>
  );
}

export function GroupsList() {
  const { admin } = useRole();
  const [adding, setAdding] = useState(false);
  const [text, setText] = useState('');
  const q = useDebounced(text.trim(), 150);
  const pages = useCursorPages(q);
  const groups = useQuery({
    queryKey: ['groups', 'list', q, pages.cursor],
    queryFn: ({ signal }) =>
      data(
        api.GET('/api/v1/groups', {
          params: {
            query: {
              ...(q ? { q } : {}),
              limit: 100,
              ...(pages.cursor ? { cursor: pages.cursor } : {}),
            },
          },
          signal,
        }),
      ),
    placeholderData: keepPreviousData,
  });

  return (
    <section>
      <PageHeader
        title="User Groups"
        actions={
          admin ? (
            <Button variant="primary" onPress={() => setAdding(true)}>
              Add
            </Button>
          ) : null
        }
      />
      <div className="toolbar">
        <div className="search">
          <label htmlFor="groups-search">Search user groups</label>
          <input
            id="groups-search"
            type="search"
            placeholder="Group name"
            value={text}
            onChange={(e) => setText(e.target.value)}
          />
        </div>
      </div>
      {groups.error ? <ErrorMessage error={groups.error} /> : null}
      <table className="data" aria-label="User Groups">
        <thead>
          <tr>
            <th scope="col">Group Name</th>
            <th scope="col">Extension</th>
            <th scope="col">Outbound Caller ID</th>
            <th scope="col">Members</th>
            <th scope="col">Ring strategy</th>
          </tr>
        </thead>
        <tbody>
          {groups.data?.items.map((g) => (
            <tr key={g.id}>
              <td>
                <Link to={`/groups/${g.id}`}>{g.name}</Link>
              </td>
              <td>{g.extension ?? '—'}</td>
              <td>{g.outbound_caller_id ?? '—'}</td>
              <td>{g.member_count}</td>
              <td>{ringStrategyLabels[g.ring_strategy]}</td>
            </tr>
          ))}
          {groups.data && groups.data.items.length === 0 ? (
            <tr>
              <td colSpan={5} className="muted">
                {q ? `No group matches “${q}”.` : 'No user groups yet.'}
              </td>
            </tr>
          ) : null}
        </tbody>
      </table>
      <Pager label="User Groups pages" pages={pages} nextCursor={groups.data?.next_cursor} />
      {admin ? <AddGroupDialog isOpen={adding} onOpenChange={setAdding} /> : null}
    </section>
  );
}
