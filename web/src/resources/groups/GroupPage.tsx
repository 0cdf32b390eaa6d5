import { useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { Tab, TabList, TabPanel, Tabs } from 'react-aria-components';
import { api, data } from '../../api/client';
import { useRole } from '../../auth/session';
import { DeleteDialog } from '../../components/DeleteDialog';
import { Button, ErrorMessage, Loading, PageHeader } from '../../components/ui';
import { Members } from './Members';
import { GroupSettings } from './GroupSettings';

export function GroupPage() {
  const { id: idParam } = useParams();
  const id = Number(idParam);
  const { admin } = useRole();
  const navigate = useNavigate();
  const queryClient = useQueryClient();
  const [params, setParams] = useSearchParams();
  const [deleting, setDeleting] = useState(false);
  const tab = params.get('tab') === 'settings' ? 'settings' : 'members';

  const group = useQuery({
    queryKey: ['groups', id],
    queryFn: () => data(api.GET('/api/v1/groups/{id}', { params: { path: { id } } })),
    enabled: Number.isInteger(id) && id > 0,
  });
  if (group.isPending) return <Loading what="group" />;
  if (group.error) return <ErrorMessage error={group.error} />;
  const g = group.data;

  return (
    <section>
      <p>
        <Link to="/groups">User Groups</Link>
      </p>
      <PageHeader
        title={g.name}
        actions={
          admin ? (
            <Button variant="danger" onPress={() => setDeleting(true)}>
              Delete Group
            </Button>
          ) : null
        }
      >
        <span className="muted">
          {g.member_count} {g.member_count === 1 ? 'member' : 'members'}
          {g.extension ? ` · extension ${g.extension}` : ''}
        </span>
      </PageHeader>
      <Tabs
        selectedKey={tab}
        onSelectionChange={(key) => setParams(key === 'settings' ? { tab: 'settings' } : {})}
      >
        <TabList aria-label="Group">
          <Tab id="members">Members</Tab>
          <Tab id="settings">Settings</Tab>
        </TabList>
        <TabPanel id="members">
          <Members group={g} />
        </TabPanel>
        <TabPanel id="settings">
          <GroupSettings group={g} readOnly={!admin} />
        </TabPanel>
      </Tabs>
      <DeleteDialog
        isOpen={deleting}
        onOpenChange={setDeleting}
        title={`Delete Group ${g.name}?`}
        explanation={
          <p>
            The group and its memberships are deleted. Its members are not deleted or deactivated:
            they only lose this membership.
          </p>
        }
        onDelete={(force) =>
          data(
            api.DELETE('/api/v1/groups/{id}', {
              params: { path: { id }, query: force ? { force: 'true' } : {} },
            }),
          )
        }
        onDeleted={() => {
          queryClient.removeQueries({ queryKey: ['groups', id] });
          void queryClient.invalidateQueries({ queryKey: ['groups'] });
          void queryClient.invalidateQueries({ queryKey: ['routing-gaps'] });
          void navigate('/groups');
        }}
      />
    </section>
  );
}
