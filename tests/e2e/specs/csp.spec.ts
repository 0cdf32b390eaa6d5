// The console runs under the server's strict Content-Security-Policy (no inline script or
// style) without tripping it. Every other spec fails on any CSP violation except the known
// defects listed in lib/fixtures.ts; this one fails on those too.
import { useCohort } from '../lib/server';
import { expect, go, knownProblems, problems, signIn, test } from '../lib/fixtures';

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

test('no page logs a CSP violation, not even a known one', async ({ page }) => {
  // Known defect: React Aria's usePress injects <style id="react-aria-pressable-style"> and
  // `style-src 'self'` blocks it on every page with a button. Fix: let the server's CSP allow
  // that style's hash ('sha256-38RhXrc7EdReTKsOm23ZPOCUgniTUUcjky8QOOrQx6o=') or serve a
  // per-response <meta name="csp-nonce"> that React Aria reads. Remove test.fail() then.
  test.fail(true, 'known defect: React Aria injected <style> is blocked by style-src');
  await go(page, cohort.server, '/sign-in');
  await expect(page.getByRole('heading', { name: 'Sign in' })).toBeVisible();
  await signIn(page, cohort.server, { email: 'ana.alvarez@example.com', password: 'cohort-demo-1001' });
  await go(page, cohort.server, '/users');
  await expect(page.getByRole('heading', { level: 1 })).toBeVisible();
  expect([...knownProblems(page), ...problems(page)]).toEqual([]);
});
