// Every page of the console, as the admin (every navigation entry and the detail pages and
// dialogs of the seed workflows) and as an agent: a screenshot of each under
// build/e2e/screenshots/, and axe-core with 0 serious or critical violations (the violations
// are in the failure message). The fixture fails a page that logs a CSP violation or an
// uncaught error.
import { useCohort } from '../lib/server';
import { agentNav, demo, staffNav } from '../lib/demo';
import { expect, expectAccessible, go, signIn, test } from '../lib/fixtures';

const cohort = useCohort({ demo: true });
const nav = (page: import('@playwright/test').Page) => page.getByRole('navigation', { name: 'Main' });

test.describe('as the admin', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, cohort.server, demo.admin);
  });

  test('the navigation lists every page, in the documents’ words', async ({ page }) => {
    await go(page, cohort.server, '/');
    await expect(page).toHaveURL(/\/users$/);
    const links = nav(page).getByRole('link');
    await expect(links).toHaveCount(staffNav.length);
    for (const [i, p] of staffNav.entries()) {
      await expect(links.nth(i)).toHaveAccessibleName(new RegExp(`^${p.label}\\b`));
    }
  });

  for (const p of staffNav) {
    test(`page ${p.label}`, async ({ page }) => {
      await go(page, cohort.server, '/users');
      await nav(page).getByRole('link', { name: new RegExp(`^${p.label}\\b`) }).click();
      await expect(page).toHaveURL(new RegExp(`${p.path}$`));
      // The old page stays up while the new one loads: wait for the new heading.
      await expect(page.getByRole('heading', { level: 1, name: p.label, exact: true })).toBeVisible();
      await expect(page.getByRole('link', { name: new RegExp(`^${p.label}\\b`) })).toHaveAttribute(
        'aria-current',
        'page',
      );
      await expectAccessible(page, `admin-${p.path.slice(1)}`);
    });
  }

  test('page Users → Add', async ({ page }) => {
    await go(page, cohort.server, '/users');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page).toHaveURL(/\/users\/new$/);
    await expect(page.getByRole('heading', { level: 1, name: 'Add user' })).toBeVisible();
    await expectAccessible(page, 'admin-users-new');
  });

  test("page Users → a member's profile", async ({ page }) => {
    await go(page, cohort.server, '/users');
    await page.getByRole('link', { name: demo.agent.name }).click();
    await expect(page.getByRole('heading', { level: 1, name: demo.agent.name })).toBeVisible();
    await expect(page.getByRole('heading', { name: 'Groups' })).toBeVisible();
    await expectAccessible(page, 'admin-users-profile');
  });

  test('page User Groups → Add (dialog)', async ({ page }) => {
    await go(page, cohort.server, '/groups');
    await page.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.getByRole('dialog')).toBeVisible();
    await expectAccessible(page, 'admin-groups-add');
  });

  test('page User Groups → a group: Members, Add Members, Settings, Delete Group', async ({ page }) => {
    await go(page, cohort.server, '/groups');
    await page.getByRole('link', { name: 'Tier 2 Support' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Tier 2 Support' })).toBeVisible();
    await expect(page.getByRole('table', { name: 'Members' })).toBeVisible();
    await expectAccessible(page, 'admin-group-members');

    await page.getByRole('button', { name: 'Add Members' }).click();
    await expect(page.getByRole('dialog', { name: 'Add Members' })).toBeVisible();
    await expectAccessible(page, 'admin-group-add-members');
    await page.getByRole('button', { name: 'Cancel' }).click();

    await page.getByRole('tab', { name: 'Settings' }).click();
    await expect(page.getByLabel('Ring strategy')).toBeVisible();
    await expectAccessible(page, 'admin-group-settings');

    await page.getByRole('button', { name: 'Delete Group' }).click();
    await expect(page.getByRole('alertdialog').or(page.getByRole('dialog'))).toBeVisible();
    await expectAccessible(page, 'admin-group-delete');
  });
});

test.describe('as an agent', () => {
  test.beforeEach(async ({ page }) => {
    await signIn(page, cohort.server, demo.agent);
  });

  test('the navigation lists only the agent’s own pages', async ({ page }) => {
    await go(page, cohort.server, '/');
    await expect(page).toHaveURL(/\/me$/);
    const links = nav(page).getByRole('link');
    await expect(links).toHaveCount(agentNav.length);
    for (const [i, p] of agentNav.entries()) {
      await expect(links.nth(i)).toHaveAccessibleName(p.label);
    }
  });

  for (const p of agentNav) {
    test(`page ${p.label}`, async ({ page }) => {
      await go(page, cohort.server, '/me');
      await nav(page).getByRole('link', { name: p.label }).click();
      await expect(page).toHaveURL(new RegExp(`${p.path}$`));
      await expect(page.getByRole('heading', { level: 1, name: p.label, exact: true })).toBeVisible();
      await expectAccessible(page, `agent-${p.path.slice(1)}`);
    });
  }
});
