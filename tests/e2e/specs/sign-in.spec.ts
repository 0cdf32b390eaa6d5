// Signing in to the console (issue 10 "Signing in and security"): with an e-mail and
// password, with the bootstrap token and a user's API token, a wrong password, the lock-out
// after five failures, signing out, and the way back to the page asked for. Every outcome
// the page shows is checked against GET /api/v1/session with the page's own cookie.
import { adminToken, useCohort } from '../lib/server';
import { expect, expectAccessible, go, screenshot, test } from '../lib/fixtures';
import type { Page } from '@playwright/test';

const cohort = useCohort({ demo: true });

const ana = { email: 'ana.alvarez@example.com', password: 'cohort-demo-1001' };

async function sessionOf(page: Page) {
  const res = await page.request.get(`${cohort.server.baseURL}/api/v1/session`);
  return { status: res.status(), body: res.status() === 200 ? await res.json() : null };
}

async function fillPassword(page: Page, email: string, password: string) {
  await page.getByLabel('E-mail').fill(email);
  await page.getByLabel('Password', { exact: true }).fill(password);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
}

test('the sign-in page is accessible and a stranger is sent to it', async ({ page }) => {
  await go(page, cohort.server, '/groups');
  await expect(page).toHaveURL(/\/sign-in\?next=%2Fgroups$/);
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await expectAccessible(page, 'sign-in');
  expect((await sessionOf(page)).status).toBe(401);
});

test('signs in with e-mail and password, lands on the page asked for, and signs out', async ({ page }) => {
  await go(page, cohort.server, '/groups');
  await expect(page).toHaveURL(/\/sign-in/);
  await fillPassword(page, ana.email, ana.password);
  await expect(page).toHaveURL(/\/groups$/);
  const nav = page.getByRole('navigation', { name: 'Main' });
  await expect(nav.getByRole('link', { name: 'User Groups' })).toBeVisible();
  await expect(page.getByText('Ana Alvarez')).toBeVisible();

  const s = await sessionOf(page);
  expect(s.status).toBe(200);
  expect(s.body.role).toBe('admin');
  expect(s.body.bootstrap).toBe(false);
  expect(s.body.user.email).toBe(ana.email);
  // The cookie is HttpOnly: the page's script cannot read it.
  expect(await page.evaluate(() => document.cookie)).not.toContain('cohort_session');
  const cookie = (await page.context().cookies()).find((c) => c.name === 'cohort_session');
  expect(cookie?.httpOnly).toBe(true);
  expect(cookie?.sameSite).toBe('Strict');

  await page.getByRole('button', { name: 'Sign out' }).click();
  await expect(page).toHaveURL(/\/sign-in/);
  expect((await sessionOf(page)).status).toBe(401);
  // Back to a page: the sign-in page again, the session is gone on the server.
  await go(page, cohort.server, '/users');
  await expect(page).toHaveURL(/\/sign-in/);
});

test('signs in with the bootstrap admin token', async ({ page }) => {
  await go(page, cohort.server, '/sign-in');
  await page.getByRole('button', { name: 'Sign in with an API token' }).click();
  await page.getByLabel('API token', { exact: true }).fill(adminToken);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/users$/);
  await expect(page.getByText('Bootstrap admin')).toBeVisible();
  const s = await sessionOf(page);
  expect(s.status).toBe(200);
  expect(s.body).toMatchObject({ role: 'admin', bootstrap: true, user: null });
});

test("signs in with a user's API token, with that user's role", async ({ page }) => {
  const ben = await cohort.server.api.userByEmail('ben.okafor@example.com');
  const issued = await cohort.server.api.post('/api/v1/tokens', { user_id: ben.id });
  await go(page, cohort.server, '/sign-in');
  await page.getByRole('button', { name: 'Sign in with an API token' }).click();
  await page.getByLabel('API token', { exact: true }).fill(issued.token);
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/users$/);
  // The signed-in user's name by the Sign out button (the Users list below names Ben too).
  await expect(page.locator('.whoami-name')).toHaveText('Ben Okafor');
  const s = await sessionOf(page);
  expect(s.body).toMatchObject({ role: 'supervisor', bootstrap: false });
  expect(s.body.user.id).toBe(ben.id);
});

test('a wrong password, an unknown e-mail and a bad token get a message and no session', async ({ page }) => {
  await go(page, cohort.server, '/sign-in');
  await fillPassword(page, 'ben.okafor@example.com', 'not-the-password-1');
  await expect(page.getByRole('alert')).toHaveText('Wrong e-mail or password');
  await screenshot(page, 'sign-in-wrong-password');
  await expect(page).toHaveURL(/\/sign-in/);
  expect((await sessionOf(page)).status).toBe(401);

  // The same answer for an e-mail nobody has: no account enumeration.
  await fillPassword(page, 'nobody@example.com', 'not-the-password-1');
  await expect(page.getByRole('alert')).toHaveText('Wrong e-mail or password');

  await page.getByRole('button', { name: 'Sign in with an API token' }).click();
  await page.getByLabel('API token', { exact: true }).fill('cht_0000000000000000000000000000000000000000deadbeef');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page.getByRole('alert')).toHaveText('This API token is not valid');
  expect((await sessionOf(page)).status).toBe(401);
});

test('five failures lock the account out: the sixth try, even right, is "too many"', async ({ page }) => {
  const victim = { email: 'chloe.martin@example.com', password: 'cohort-demo-1003' };
  await go(page, cohort.server, '/sign-in');
  for (let i = 1; i <= 5; i++) {
    await fillPassword(page, victim.email, `wrong-password-${i}`);
    await expect(page.getByRole('alert')).toHaveText('Wrong e-mail or password');
    // The next try must not see this try's banner.
    await page.getByLabel('Password', { exact: true }).fill('');
  }
  // The sixth, with the right password, is refused with 429 and Retry-After.
  const answer = page.waitForResponse(
    (r) => r.url().endsWith('/api/v1/session') && r.request().method() === 'POST',
  );
  await fillPassword(page, victim.email, victim.password);
  const res = await answer;
  expect(res.status()).toBe(429);
  const retryAfter = Number(res.headers()['retry-after']);
  expect(retryAfter).toBeGreaterThan(0);
  expect(retryAfter).toBeLessThanOrEqual(300);
  const minutes = Math.max(1, Math.ceil(retryAfter / 60));
  await expect(page.getByRole('alert')).toHaveText(
    `Too many failed sign-ins; try again in ${minutes} ${minutes === 1 ? 'minute' : 'minutes'}`,
  );
  await screenshot(page, 'sign-in-locked-out');
  expect((await sessionOf(page)).status).toBe(401);

  // Another account from the same browser is not locked.
  await fillPassword(page, ana.email, ana.password);
  await expect(page).toHaveURL(/\/users$/);
  expect((await sessionOf(page)).body.user.email).toBe(ana.email);
});
