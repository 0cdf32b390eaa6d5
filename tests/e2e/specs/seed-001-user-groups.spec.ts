// Seed document 001 ("User Groups", JustCall's words) as written, through the console:
// create a group, add members from the group page (Add Members, searching by name and by
// e-mail) and from a member's profile (Groups), remove one with the remove icon, set Ring
// strategy, Business hours and Fallback routing on the Settings tab, then Delete Group and
// find the routing gap it leaves on Routing gaps. Every step is checked against the API.
import type { Page } from '@playwright/test';
import { useCohort } from '../lib/server';
import { demo } from '../lib/demo';
import { expect, expectAccessible, go, screenshot, signIn, test } from '../lib/fixtures';

const cohort = useCohort({ demo: true });
const GROUP = 'East Coast Sales';

/** Ticks a React Aria checkbox the way a person does: on its label (the input is hidden). */
async function tick(checkbox: ReturnType<Page['getByRole']>) {
  await checkbox.locator('xpath=ancestor::label[1]').click();
  await expect(checkbox).toBeChecked();
}

async function pickOption(page: Page, combobox: ReturnType<Page['getByRole']>, text: string, option: RegExp) {
  await combobox.fill(text);
  await page.getByRole('option', { name: option }).click();
}

test('create a group, add members both ways, settings, delete it and see the routing gap', async ({ page }) => {
  const api = cohort.server.api;
  const elena = await api.userByEmail('elena.rossi@example.com');
  const chloe = await api.userByEmail(demo.agent.email);
  const ben = await api.userByEmail(demo.supervisor.email);
  const schedule = (await api.all('/api/v1/schedules')).find((s) => s.name === 'US office hours');
  const tier2 = await api.groupByName('Tier 2 Support');
  expect(schedule && tier2).toBeTruthy();
  await signIn(page, cohort.server, demo.admin);

  let groupId = 0;
  await test.step('User Groups → Add → Group Name → Save', async () => {
    await go(page, cohort.server, '/users');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'User Groups' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'User Groups' })).toBeVisible();
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Group Name').fill(GROUP);
    await screenshot(page, '001-add-group');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('heading', { level: 1, name: GROUP })).toBeVisible();
    const stored = await api.groupByName(GROUP);
    expect(stored).toMatchObject({ name: GROUP, member_count: 0 });
    groupId = stored.id;
    await expect(page).toHaveURL(new RegExp(`/groups/${groupId}`));
  });

  await test.step('the group page: Add Members, searching by name and by e-mail', async () => {
    await page.getByRole('button', { name: 'Add Members' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Members' });
    const search = dialog.getByLabel('Search by name or e-mail');
    await search.fill('Chloe');
    await tick(dialog.getByRole('checkbox', { name: /Chloe Martin/ }));
    await search.fill('ben.okafor@');
    await expect(dialog.getByRole('checkbox')).toHaveCount(1);
    await tick(dialog.getByRole('checkbox', { name: /Ben Okafor/ }));
    await expect(dialog.getByRole('status')).toHaveText('2 selected: Chloe Martin, Ben Okafor');
    await screenshot(page, '001-add-members');
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(dialog).toBeHidden();
    const table = page.getByRole('table', { name: 'Members' });
    await expect(table.getByRole('link', { name: 'Chloe Martin' })).toBeVisible();
    await expect(table.getByRole('link', { name: 'Ben Okafor' })).toBeVisible();
    const members = await api.all(`/api/v1/groups/${groupId}/members`);
    expect(members.map((m) => [m.user_id, m.position])).toEqual([
      [chloe.id, 1],
      [ben.id, 2],
    ]);
  });

  await test.step("a member's profile: Groups → add the group", async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Users' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Users' })).toBeVisible();
    await page.getByLabel('Search users').fill('elena');
    await page.getByRole('link', { name: 'Elena Rossi' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Elena Rossi' })).toBeVisible();
    const groups = page.getByRole('region', { name: 'Groups' });
    await pickOption(page, groups.getByRole('combobox', { name: 'Add to group' }), 'East', new RegExp(`^${GROUP}`));
    await groups.getByRole('button', { name: 'Add to group' }).click();
    await expect(groups.getByRole('table').getByRole('link', { name: GROUP })).toBeVisible();
    await screenshot(page, '001-profile-groups');
    const mine = await api.all(`/api/v1/users/${elena.id}/groups`);
    expect(mine.map((m) => m.group_id)).toContain(groupId);
  });

  await test.step('the group page: remove a member with the remove icon', async () => {
    await groups_link(page);
    await page.getByRole('button', { name: 'Remove Ben Okafor' }).click();
    const table = page.getByRole('table', { name: 'Members' });
    await expect(table.getByRole('link', { name: 'Ben Okafor' })).toHaveCount(0);
    await expect(table.getByRole('link', { name: 'Elena Rossi' })).toBeVisible();
    const members = await api.all(`/api/v1/groups/${groupId}/members`);
    expect(members.map((m) => [m.user_id, m.position])).toEqual([
      [chloe.id, 1],
      [elena.id, 2],
    ]);
    // The user is not deleted, only out of the group.
    expect((await api.get(`/api/v1/users/${ben.id}`)).active).toBe(true);
  });

  await test.step('Settings: Ring strategy, Business hours, Fallback routing', async () => {
    await page.getByRole('tab', { name: 'Settings' }).click();
    await page.getByLabel('Ring strategy').selectOption({ label: 'Round robin' });
    await page.getByLabel('Business hours').selectOption({ label: 'US office hours' });
    const fallback = page.getByRole('group', { name: 'Fallback routing' });
    await fallback.getByLabel('Send calls to').selectOption({ label: 'A user group' });
    await pickOption(page, fallback.getByRole('combobox', { name: 'User group' }), 'Tier 2', /^Tier 2 Support/);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByRole('status').filter({ hasText: 'Saved.' })).toBeVisible();
    await expectAccessible(page, '001-group-settings-saved');
    const stored = await api.get(`/api/v1/groups/${groupId}`);
    expect(stored).toMatchObject({
      ring_strategy: 'round_robin',
      schedule: schedule.id,
      fallback: { type: 'group', id: tier2.id },
    });
    // What the page shows after a reload is what was stored.
    await page.reload();
    await expect(page.getByLabel('Ring strategy')).toHaveValue('round_robin');
    await expect(page.getByLabel('Business hours')).toHaveValue(String(schedule.id));
  });

  let routeId = 0;
  await test.step('Delete Group: the dialog lists what refers to it; delete anyway', async () => {
    // A call flow that sends calls to the group, so that deleting it leaves a gap.
    const route = await api.post('/api/v1/inbound-routes', {
      name: 'East line',
      did: '17775550100',
      destination: { type: 'group', id: groupId },
    });
    routeId = route.id;
    await page.getByRole('button', { name: 'Delete Group' }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect(dialog.getByText(/These still refer to it/)).toBeVisible();
    await expect(dialog.getByRole('listitem').filter({ hasText: 'East line' })).toContainText('Inbound route');
    await expectAccessible(page, '001-delete-group-referrers');
    await dialog.getByRole('button', { name: 'Delete anyway' }).click();
    await expect(dialog.getByRole('status')).toContainText('routing gaps');
    await screenshot(page, '001-delete-group-gaps');
    await dialog.getByRole('button', { name: 'Close' }).click();
    await expect(page).toHaveURL(/\/groups$/);
    expect(await api.groupByName(GROUP)).toBeUndefined();
    // The members are not deactivated: they simply lose that membership.
    for (const u of [chloe, elena]) {
      const after = await api.get(`/api/v1/users/${u.id}`);
      expect(after.active).toBe(true);
      const groups = await api.all(`/api/v1/users/${u.id}/groups`);
      expect(groups.map((g) => g.group_id)).not.toContain(groupId);
    }
  });

  await test.step('Routing gaps shows the gap, with a link to the route to fix', async () => {
    const gaps = (await api.get('/api/v1/routing-gaps')).items;
    const gap = gaps.find((g: any) => g.holder.kind === 'inbound_route' && g.holder.id === routeId);
    expect(gap, JSON.stringify(gaps)).toMatchObject({
      field: 'destination',
      missing: { kind: 'group', id: groupId },
    });
    const nav = page.getByRole('navigation', { name: 'Main' });
    await expect(nav.getByLabel(`${gaps.length} routing gaps`)).toBeVisible();
    await nav.getByRole('link', { name: /^Routing gaps/ }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Routing gaps' })).toBeVisible();
    const link = page.getByRole('main').getByRole('link', { name: /East line/ });
    await expect(link).toBeVisible();
    await expectAccessible(page, '001-routing-gaps');
    await link.click();
    await expect(page).toHaveURL(new RegExp(`/inbound-routes`));
  });
});

async function groups_link(page: Page) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'User Groups' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'User Groups' })).toBeVisible();
  await page.getByRole('link', { name: GROUP }).click();
  await expect(page.getByRole('heading', { level: 1, name: GROUP })).toBeVisible();
}
