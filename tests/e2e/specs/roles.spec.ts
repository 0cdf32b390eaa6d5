// Roles (issue 10): an agent sees only its own pages; the admin pages are neither in its
// navigation nor reachable by address, and the API refuses what those pages would fetch
// (403 for the agent's own session cookie, the same cookie the page uses).
import type { Page } from '@playwright/test';
import { useCohort } from '../lib/server';
import { adminReads, demo, staffPages } from '../lib/demo';
import { expect, go, screenshot, signIn, test } from '../lib/fixtures';

const cohort = useCohort({ demo: true });

test.describe('an agent', () => {
  let csrf = '';
  test.beforeEach(async ({ page }) => {
    const session = await signIn(page, cohort.server, demo.agent);
    expect(session.role).toBe('agent');
    csrf = session.csrf_token;
  });

  for (const p of staffPages) {
    test(`cannot reach ${p.label} (${p.path}) by its address`, async ({ page }) => {
      await go(page, cohort.server, p.path);
      await page.waitForLoadState('networkidle');
      await screenshot(page, `agent-denied-${p.path.slice(1)}`);
      const nav = page.getByRole('navigation', { name: 'Main' });
      await expect(nav.getByRole('link', { name: p.label })).toHaveCount(0);
      // Redirected to its own pages, or shown that its role may not see this; never the
      // admin page's controls.
      const redirected = !new URL(page.url()).pathname.startsWith(p.path);
      if (!redirected) {
        await expect(page.getByText(/Your role may not see this|not allowed|no access|Page not found/i).first()).toBeVisible();
      }
      await expect(page.getByRole('button', { name: /^(Add|Delete|Save)\b/ })).toHaveCount(0);
    });
  }

  test('gets 403 from every admin API with its own cookie', async ({ page }) => {
    await go(page, cohort.server, '/me');
    for (const path of adminReads) {
      const res = await page.request.get(cohort.server.baseURL + path);
      expect(res.status(), `${path}: ${await res.text()}`).toBe(403);
    }
    const mine = await page.request.get(cohort.server.baseURL + '/api/v1/users');
    expect(mine.status()).toBe(200);
    const users = (await mine.json()).items;
    expect(users.map((u: { email: string }) => u.email)).toEqual([demo.agent.email]);

    const ana = await cohort.server.api.userByEmail(demo.admin.email);
    const other = await page.request.get(`${cohort.server.baseURL}/api/v1/users/${ana.id}`);
    expect(other.status()).toBe(403);

    // Writes, with the CSRF token the console would send: refused, nothing stored.
    const headers = { 'X-CSRF-Token': csrf };
    const create = await page.request.post(cohort.server.baseURL + '/api/v1/groups', {
      headers,
      data: { name: 'Agents Only' },
    });
    expect(create.status()).toBe(403);
    expect(await cohort.server.api.groupByName('Agents Only')).toBeUndefined();
    const promote = await page.request.patch(`${cohort.server.baseURL}/api/v1/users/${ana.id}`, {
      headers,
      data: { role: 'agent' },
    });
    expect(promote.status()).toBe(403);
    expect((await cohort.server.api.userByEmail(demo.admin.email)).role).toBe('admin');
  });

  test('a write without the CSRF token is refused even for the admin', async ({ browser }) => {
    const context = await browser.newContext();
    const page: Page = await context.newPage();
    try {
      await signIn(page, cohort.server, demo.admin);
      const res = await page.request.post(cohort.server.baseURL + '/api/v1/groups', {
        data: { name: 'No CSRF' },
      });
      expect(res.status()).toBe(403);
      expect(await cohort.server.api.groupByName('No CSRF')).toBeUndefined();
    } finally {
      await context.close();
    }
  });
});
