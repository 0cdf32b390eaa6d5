// The console runs under the server's strict Content-Security-Policy (no inline script or
// style) without tripping it. Every spec's pages fail on a CSP violation (lib/fixtures.ts).
import { useCohort } from '../lib/server';
import { expect, go, problems, test } from '../lib/fixtures';

const cohort = useCohort({ demo: true });

test('the server sends a strict CSP and the security headers with the console', async ({ page }) => {
  const res = await page.goto(cohort.server.baseURL + '/sign-in');
  const h = res!.headers();
  expect(h['content-security-policy']).toContain("script-src 'self'");
  expect(h['content-security-policy']).toContain("frame-ancestors 'none'");
  expect(h['content-security-policy']).not.toContain('unsafe-inline');
  expect(h['x-content-type-options']).toBe('nosniff');
  expect(h['referrer-policy']).toBeTruthy();
});

test('signing in and the pages after it log no CSP violation', async ({ page }) => {
  // React Aria's usePress used to inject a <style> that `style-src 'self'` blocked on every
  // page with a button; the console now ships that rule in its stylesheet. The page fixture
  // fails any test whose page logs a CSP violation; this test walks sign-in → a page.
  await go(page, cohort.server, '/sign-in');
  await page.getByLabel('E-mail').fill('ana.alvarez@example.com');
  await page.getByLabel('Password', { exact: true }).fill('cohort-demo-1001');
  await page.getByRole('button', { name: 'Sign in', exact: true }).click();
  await expect(page).toHaveURL(/\/users$/);
  await page.getByRole('link', { name: 'Ana Alvarez' }).or(page.getByRole('link', { name: 'Users' })).first().click();
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  expect(problems(page)).toEqual([]);
});
