// The `test` every spec uses: its pages fail the test on a console error (a CSP violation
// is one), an uncaught exception or a 5xx answer; helpers to sign in, to go to a path of the
// server, and to check a page (axe-core, 0 serious or critical violations) with a screenshot.
import fs from 'node:fs';
import path from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import { test as base, expect, type Browser, type BrowserContext, type Page } from '@playwright/test';
import { screenshotsDir } from './paths';
import type { CohortServer } from './server';

// Chromium logs each failed fetch as a console error. A 401 (restoring a session that does
// not exist yet), a 403 (an agent's forbidden fetch) and a 429 (lock-out) are answers the
// tests provoke on purpose, so 4xx fetch logs are allowed; 5xx answers fail the test below.
const expectedFetchLog = /^Failed to load resource: the server responded with a status of 4\d\d/;

const problemsOf = new WeakMap<Page, string[]>();

/** Records the page's console errors, uncaught exceptions and 5xx answers. */
export function guard(page: Page): void {
  const problems: string[] = [];
  problemsOf.set(page, problems);
  page.on('console', (m) => {
    if (m.type() !== 'error' || expectedFetchLog.test(m.text())) return;
    problems.push(`console error on ${page.url()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => problems.push(`uncaught ${e.name} on ${page.url()}: ${e.message}`));
  page.on('response', (r) => {
    if (r.status() >= 500) problems.push(`${r.status()} for ${r.request().method()} ${r.url()}`);
  });
}

export function problems(page: Page): string[] {
  return problemsOf.get(page) ?? [];
}

export function expectNoProblems(page: Page): void {
  expect(problems(page), 'the page logged a CSP violation, an uncaught error or got a 5xx').toEqual([]);
}

export const contextOptions = { viewport: { width: 1280, height: 800 } } as const;

/** A second, separate browser context (another person), guarded like `page`. */
export async function newGuardedPage(browser: Browser): Promise<{ context: BrowserContext; page: Page }> {
  const context = await browser.newContext(contextOptions);
  const page = await context.newPage();
  guard(page);
  return { context, page };
}

export const test = base.extend({
  page: async ({ page }, use) => {
    guard(page);
    await use(page);
    expectNoProblems(page);
  },
});
export { expect };

export type Credentials = { email: string; password: string } | { token: string };

/**
 * Signs the page's browser context in through POST /api/v1/session (the cookie lands in the
 * context), for tests whose subject is not the sign-in page itself.
 */
export async function signIn(page: Page, server: CohortServer, credentials: Credentials): Promise<any> {
  const body = 'token' in credentials ? { token: credentials.token } : { email: credentials.email, password: credentials.password };
  const res = await page.request.post(`${server.baseURL}/api/v1/session`, { data: body });
  expect(res.status(), `sign-in answered ${await res.text()}`).toBe(201);
  return res.json();
}

export async function go(page: Page, server: CohortServer, where: string): Promise<void> {
  await page.goto(server.baseURL + where);
}

/** Waits until the page has its heading and no "Loading…" status left. */
export async function settled(page: Page): Promise<void> {
  await expect(page.getByRole('heading', { level: 1 }).first()).toBeVisible();
  await expect(page.getByRole('status').filter({ hasText: /^Loading/ })).toHaveCount(0);
}

/** axe-core's serious and critical violations of the page, as readable lines. */
export async function axeViolations(page: Page): Promise<string[]> {
  const result = await new AxeBuilder({ page }).analyze();
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) =>
        `${v.id} (${v.impact}): ${v.help} — ${v.nodes.length} node(s): ` +
        v.nodes
          .slice(0, 5)
          .map((n) => `${n.target.join(' ')} [${n.failureSummary?.replace(/\s+/g, ' ') ?? ''}]`)
          .join('; '),
    );
}

export function screenshotPath(name: string): string {
  fs.mkdirSync(screenshotsDir, { recursive: true });
  return path.join(screenshotsDir, `${name.replace(/[^\w.-]+/g, '-')}.png`);
}

export async function screenshot(page: Page, name: string): Promise<void> {
  await page.screenshot({ path: screenshotPath(name), fullPage: true });
}

/** Settles, screenshots and runs axe; the violations of this page (empty when clean). */
export async function checkPage(page: Page, name: string): Promise<string[]> {
  await settled(page);
  await screenshot(page, name);
  const violations = await axeViolations(page);
  return violations.map((v) => `${name} (${new URL(page.url()).pathname}): ${v}`);
}

/** checkPage, failing at once with the violations in the message. */
export async function expectAccessible(page: Page, name: string): Promise<void> {
  const violations = await checkPage(page, name);
  expect(violations, `axe-core: serious or critical violations on ${name}:\n${violations.join('\n')}`).toEqual([]);
}
