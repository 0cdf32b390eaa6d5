// Seed document 000 ("User Groups", PortSIP's words) as written, through the console: a trunk
// (to a SIPp provider on loopback), User Groups → Add → Group Name "Sales Dept" with Outbound
// Caller ID 010000 on that trunk, a SIP password for a member, an Outbound Rule whose Caller
// User Group is Sales Dept; then the member registers and calls out with SIPp (digest auth),
// and the INVITE that reaches the provider has From user part 010000 (the provider scenario
// fails the call otherwise and logs the From it saw). The call's record is then found on
// Call records and in its CSV download.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Page } from '@playwright/test';
import { adminToken, useCohort } from '../lib/server';
import { authField, freeUdpPort, scenarioFromTemplate, Sipp } from '../lib/sipp';
import { expect, expectAccessible, go, screenshot, signIn, test } from '../lib/fixtures';

const cohort = useCohort({ demo: false });
const OUTSIDE = '2125551234';
const SIP_PASSWORD = 'chloe-sip-1003';

/** "Add" on a list page: a button on some pages, a link styled as one on others. */
function addControl(page: Page) {
  const main = page.getByRole('main');
  return main.getByRole('button', { name: 'Add', exact: true }).or(main.getByRole('link', { name: 'Add', exact: true }));
}

/** Clicks a navigation entry and waits for its page (the old page stays up while the new one loads). */
async function navTo(page: Page, label: string) {
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: new RegExp(`^${label}\\b`) }).click();
  await expect(page.getByRole('heading', { level: 1, name: label, exact: true })).toBeVisible();
}

/** RFC 4180 CSV → rows of fields. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',') {
      row.push(field);
      field = '';
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
    } else field += c;
  }
  if (field !== '' || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows;
}

test('Sales Dept presents 010000 in the From of calls out through its Outbound Rule', async ({ page }) => {
  test.setTimeout(90_000);
  const api = cohort.server.api;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-e2e-sipp-'));
  const providerPort = await freeUdpPort();
  // The member, seeded through the API without a SIP password (the page gives it one).
  const chloe = await api.post('/api/v1/users', {
    name: 'Chloe Martin',
    email: 'chloe.martin@example.com',
    extension: '1003',
    role: 'agent',
  });
  await signIn(page, cohort.server, { token: adminToken });
  await go(page, cohort.server, '/users');

  let trunkId = 0;
  await test.step('Trunks → Add: a provider on 127.0.0.1', async () => {
    await navTo(page, 'Trunks');
    await addControl(page).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Add trunk' })).toBeVisible();
    await page.getByLabel('Name', { exact: true }).fill('Loopback Provider');
    await page.getByLabel('Host', { exact: true }).fill('127.0.0.1');
    await page.getByLabel('Port', { exact: true }).fill(String(providerPort));
    await page.getByLabel('Transport').selectOption('udp');
    await screenshot(page, '000-add-trunk');
    await page.getByRole('button', { name: 'Add trunk' }).click();
    await expect(page).toHaveURL(/\/trunks$/);
    await expect(page.getByRole('main').getByText('Loopback Provider')).toBeVisible();
    const trunk = (await api.all('/api/v1/trunks')).find((t) => t.name === 'Loopback Provider');
    expect(trunk).toMatchObject({ host: '127.0.0.1', port: providerPort, transport: 'udp' });
    trunkId = trunk.id;
  });

  let salesId = 0;
  await test.step('User Groups → Add → Group Name, Outbound Caller ID, trunk', async () => {
    await navTo(page, 'User Groups');
    await addControl(page).click();
    const dialog = page.getByRole('dialog');
    await dialog.getByLabel('Group Name').fill('Sales Dept');
    await dialog.getByLabel('Outbound Caller ID').fill('010000');
    await dialog.getByLabel('Trunk').selectOption({ label: 'Loopback Provider' });
    await expectAccessible(page, '000-add-user-group');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Sales Dept' })).toBeVisible();
    const sales = await api.groupByName('Sales Dept');
    expect(sales).toMatchObject({ outbound_caller_id: '010000', trunk: trunkId });
    salesId = sales.id;
  });

  await test.step('the member joins Sales Dept and gets a SIP password on its profile', async () => {
    await page.getByRole('button', { name: 'Add Members' }).click();
    const dialog = page.getByRole('dialog', { name: 'Add Members' });
    await dialog.getByLabel('Search by name or e-mail').fill('chloe');
    const box = dialog.getByRole('checkbox', { name: /Chloe Martin/ });
    await box.locator('xpath=ancestor::label[1]').click();
    await dialog.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(page.getByRole('table', { name: 'Members' }).getByRole('link', { name: 'Chloe Martin' })).toBeVisible();

    await page.getByRole('table', { name: 'Members' }).getByRole('link', { name: 'Chloe Martin' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Chloe Martin' })).toBeVisible();
    await page.getByLabel('SIP password').fill(SIP_PASSWORD);
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect.poll(async () => (await api.get(`/api/v1/users/${chloe.id}`)).has_sip_password).toBe(true);
    const members = await api.all(`/api/v1/groups/${salesId}/members`);
    expect(members.map((m) => m.user_id)).toEqual([chloe.id]);
  });

  await test.step('Outbound Rules → Add with the Caller User Group condition', async () => {
    await navTo(page, 'Outbound Rules');
    await addControl(page).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Add outbound rule' })).toBeVisible();
    await page.getByLabel('Name', { exact: true }).fill('Sales via Loopback');
    const patterns = page.getByRole('group', { name: 'Dial patterns' });
    const first = patterns.getByRole('textbox', { name: 'Pattern 1', exact: true });
    if ((await first.count()) === 0) await patterns.getByRole('button', { name: 'Add pattern' }).click();
    await first.fill('_NXXNXXXXXX');
    const groups = page.getByRole('group', { name: 'Caller User Group' });
    await groups.getByRole('combobox', { name: 'Add a group' }).fill('Sales');
    await page.getByRole('option', { name: /^Sales Dept/ }).click();
    await expect(groups.getByText('Sales Dept')).toBeVisible();
    const trunks = page.getByRole('group', { name: 'Trunk order' });
    await trunks.getByLabel('Add a trunk').selectOption({ label: 'Loopback Provider' });
    await trunks.getByRole('button', { name: 'Add', exact: true }).click();
    await expect(trunks.getByRole('listitem').filter({ hasText: 'Loopback Provider' })).toBeVisible();
    await expectAccessible(page, '000-add-outbound-rule');
    await page.getByRole('button', { name: 'Add outbound rule' }).click();
    await expect(page).toHaveURL(/\/outbound-rules$/);
    const rule = (await api.get('/api/v1/outbound-rules')).items.find((r: any) => r.name === 'Sales via Loopback');
    expect(rule).toMatchObject({ caller_groups: [salesId], trunks: [trunkId], patterns: ['_NXXNXXXXXX'] });
    // The decision a call would get, as the server explains it.
    const explained = await api.post('/api/v1/outbound-rules/explain', { caller_user_id: chloe.id, number: OUTSIDE });
    expect(explained).toMatchObject({ matched: true, caller_id: '010000', rule: { id: rule.id } });
  });

  const callId = `e2e-sales-${Date.now()}-%u`;
  await test.step('the member registers and calls out with SIPp; the provider sees From 010000', async () => {
    const provider = Sipp.start({
      scenario: scenarioFromTemplate(work, 'provider_uas.xml', {
        CALLER_ID: '010000',
        FROM_HOST: '[^;>]+',
        NUMBER: OUTSIDE,
      }),
      dir: work,
      name: 'provider',
      localPort: providerPort,
      timeoutS: 30,
    });
    try {
      const server = `127.0.0.1:${cohort.server.sipPort}`;
      const auth = authField('1003', SIP_PASSWORD);
      const register = Sipp.start({
        scenario: 'register.xml',
        dir: work,
        name: 'register',
        localPort: await freeUdpPort(),
        remote: server,
        csvRows: [`1003;${auth};300;1;2;`],
        callId: `e2e-reg-${Date.now()}`,
        timeoutS: 10,
      });
      expect(await register.finish(15_000), register.describe()).toBe(0);
      const regs = (await api.get(`/api/v1/registrations?user_id=${chloe.id}`)).items;
      expect(regs.length).toBe(1);

      const caller = Sipp.start({
        scenario: 'call_uac.xml',
        dir: work,
        name: 'caller',
        localPort: await freeUdpPort(),
        remote: server,
        csvRows: [`${OUTSIDE};1003;${auth};`],
        callId,
        timeoutS: 20,
        extra: ['-d', '200'],
      });
      expect(await caller.finish(25_000), caller.describe() + cohort.server.log()).toBe(0);
      expect(await provider.finish(10_000), `the provider saw the wrong From\n${provider.describe()}`).toBe(0);
      const logs = provider.read('logs');
      const from = /from=\[?\s*([^\n\]]*)/.exec(logs)?.[1] ?? '';
      expect(from, logs).toMatch(/<sip:010000@/);
    } finally {
      await provider.stop();
    }
  });

  await test.step('Call records: the call, and the CSV download of the filtered list', async () => {
    const expectedCallId = callId.replace('%u', '1');
    let cdr: any;
    await expect
      .poll(async () => {
        const items = (await api.get('/api/v1/cdrs?direction=outbound')).items;
        cdr = items.find((c: any) => c.a_leg_call_id === expectedCallId && c.ended_at);
        return Boolean(cdr);
      })
      .toBe(true);
    expect(cdr).toMatchObject({ caller_id: '010000', caller_id_group: salesId, trunk: trunkId, disposition: 'answered' });

    await navTo(page, 'Call records');
    const filters = page.getByRole('form', { name: 'Filter call records' });
    await filters.getByLabel('Direction').selectOption('outbound');
    await filters.getByRole('combobox', { name: 'Group' }).fill('Sales');
    await page.getByRole('option', { name: /^Sales Dept/ }).click();
    await filters.getByRole('button', { name: 'Filter', exact: true }).click();
    await expect(page).toHaveURL(/direction=outbound/);
    await expect(page).toHaveURL(new RegExp(`group=${salesId}`));
    const row = page.getByRole('main').getByRole('row').filter({ hasText: OUTSIDE });
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('answered');
    await expectAccessible(page, '000-call-records');

    const downloading = page.waitForEvent('download');
    await page.getByRole('link', { name: 'Download CSV' }).click();
    const download = await downloading;
    const file = path.join(work, 'cdrs.csv');
    await download.saveAs(file);
    const rows = parseCsv(fs.readFileSync(file, 'utf8')).filter((r) => r.some((f) => f !== ''));
    const header = rows[0]!;
    for (const column of ['id', 'direction', 'caller_id', 'caller_id_group', 'trunk', 'disposition', 'dialled']) {
      expect(header, `CSV header: ${header.join(',')}`).toContain(column);
    }
    expect(rows.length, rows.map((r) => r.join(',')).join('\n')).toBe(2);
    const record = Object.fromEntries(header.map((h, i) => [h, rows[1]![i]]));
    expect(record).toMatchObject({
      id: String(cdr.id),
      direction: 'outbound',
      caller_id: '010000',
      caller_id_group: String(salesId),
      trunk: String(trunkId),
      dialled: OUTSIDE,
      disposition: 'answered',
    });

    // A filter nothing matches: the header row alone.
    const res = await page.request.get(`${cohort.server.baseURL}/api/v1/cdrs?format=csv&direction=inbound`);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('text/csv');
    const none = parseCsv(await res.text()).filter((r) => r.some((f) => f !== ''));
    expect(none).toEqual([header]);
  });
  fs.rmSync(work, { recursive: true, force: true });
});
