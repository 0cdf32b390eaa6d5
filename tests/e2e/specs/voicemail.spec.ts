// Issue 13 in the console. Greetings: a WAV made by the test is uploaded through the page in
// each of the four places (a group's Greeting and Waiting music, an IVR menu's Prompt, a
// user's own Greeting on My profile); the page says "Uploaded" and its player plays what the
// API serves; a file that is not a WAV shows the API's own 400 message; "Use default …"
// goes back to the default — each checked through the API. The group's Waiting mode and
// Announce position every (s) are saved and read back. Voicemail: a caller from the trunk
// (SIPp, streaming a tone as RTP) reaches a group whose schedule holds it closed and leaves a
// message; the Voicemail page lists it, its player's source answers 200 audio/wav, Mark
// heard and Delete change what the API stores, and Call records link the call to it.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Locator, Page } from '@playwright/test';
import { toneMulaw, toneWav } from '../lib/audio';
import { demo } from '../lib/demo';
import { e2eSipp } from '../lib/paths';
import { adminToken, useCohort } from '../lib/server';
import { freeMediaPort, freeUdpPort, scenarioFromTemplate, Sipp } from '../lib/sipp';
import { expect, expectAccessible, go, screenshot, signIn, test } from '../lib/fixtures';

const cohort = useCohort({ demo: true });

/** The audio source the API reports for `route` (the X-Cohort-Audio-Source of its GET). */
async function sourceOf(route: string): Promise<string | null> {
  const res = await fetch(cohort.server.baseURL + route, { headers: { Authorization: `Bearer ${adminToken}` } });
  expect(res.status, `GET ${route}`).toBe(200);
  expect(res.headers.get('content-type')).toContain('audio/wav');
  await res.arrayBuffer();
  return res.headers.get('x-cohort-audio-source');
}

/** What the API answers to an upload of `body` (the message the page must show). */
async function uploadAnswer(route: string, body: Buffer): Promise<{ status: number; message: string }> {
  const res = await fetch(cohort.server.baseURL + route, {
    method: 'PUT',
    headers: { Authorization: `Bearer ${adminToken}`, 'Content-Type': 'audio/wav' },
    body,
  });
  const json = (await res.json().catch(() => null)) as { error?: { message?: string } } | null;
  return { status: res.status, message: json?.error?.message ?? '' };
}

/** The player of `section` plays what the server serves: its src answers 200 audio/wav. */
async function expectPlayer(page: Page, section: Locator, route: string) {
  const player = section.locator('audio');
  await expect(player).toHaveAttribute('src', route);
  await expect(player).toHaveAttribute('controls', '');
  const res = await page.request.get(new URL(route, cohort.server.baseURL).toString());
  expect(res.status()).toBe(200);
  expect(res.headers()['content-type']).toContain('audio/wav');
}

/**
 * Upload a WAV through `section` (a fieldset named after the sound), see "Uploaded", then
 * go back to the default with `reset`; optionally first a file that is not a WAV.
 */
async function uploadAndReset(
  page: Page,
  section: Locator,
  o: { route: string; defaultLabel: string; reset: string; shot: string; tryInvalid?: boolean },
) {
  await expect(section.getByText(o.defaultLabel, { exact: true })).toBeVisible();
  expect(await sourceOf(o.route)).toBe('default');
  await expectPlayer(page, section, o.route);

  if (o.tryInvalid) {
    const junk = Buffer.from('this is a text file, not a WAV\n');
    const refused = await uploadAnswer(o.route, junk);
    expect(refused.status).toBe(400);
    expect(refused.message).not.toBe('');
    await section.getByLabel('WAV file').setInputFiles({ name: 'notes.wav', mimeType: 'audio/wav', buffer: junk });
    await section.getByRole('button', { name: 'Upload WAV' }).click();
    await expect(section.getByRole('alert')).toHaveText(refused.message);
    await expect(section.getByLabel('WAV file')).toHaveAttribute('aria-invalid', 'true');
    await screenshot(page, `${o.shot}-refused`);
    expect(await sourceOf(o.route)).toBe('default');
  }

  await section
    .getByLabel('WAV file')
    .setInputFiles({ name: 'tone.wav', mimeType: 'audio/wav', buffer: toneWav(1.5, 440, 16000) });
  await section.getByRole('button', { name: 'Upload WAV' }).click();
  await expect(section.getByText('Uploaded', { exact: true })).toBeVisible();
  await expect(section.getByRole('status')).toContainText('Uploaded tone.wav');
  await expect(section.getByRole('alert')).toHaveCount(0);
  expect(await sourceOf(o.route)).toBe('uploaded');
  await expectPlayer(page, section, o.route);
  await screenshot(page, `${o.shot}-uploaded`);

  await section.getByRole('button', { name: o.reset }).click();
  await expect(section.getByText(o.defaultLabel, { exact: true })).toBeVisible();
  expect(await sourceOf(o.route)).toBe('default');
}

test('greetings, waiting music and an IVR prompt: upload, refuse, back to the default', async ({ page }) => {
  test.setTimeout(90_000);
  const api = cohort.server.api;
  const group = await api.post('/api/v1/groups', { name: 'Greeting Desk' });
  const menu = await api.post('/api/v1/ivr-menus', { name: 'Front menu', options: {} });
  await signIn(page, cohort.server, { token: adminToken });

  await test.step("the group's Settings: Greeting (with a file that is not a WAV)", async () => {
    await go(page, cohort.server, `/groups/${group.id}?tab=settings`);
    await expect(page.getByRole('heading', { level: 1, name: 'Greeting Desk' })).toBeVisible();
    const greeting = page.getByRole('group', { name: 'Greeting', exact: true });
    await expectAccessible(page, 'voicemail-group-settings');
    await uploadAndReset(page, greeting, {
      route: `/api/v1/groups/${group.id}/greeting`,
      defaultLabel: 'Default greeting',
      reset: 'Use default greeting',
      shot: 'voicemail-group-greeting',
      tryInvalid: true,
    });
  });

  await test.step('Waiting for the group: music, Waiting mode, Announce position every (s)', async () => {
    const waiting = page.getByRole('group', { name: 'Waiting for the group' });
    await uploadAndReset(page, waiting.getByRole('group', { name: 'Waiting music' }), {
      route: `/api/v1/groups/${group.id}/waiting-music`,
      defaultLabel: 'Built-in music',
      reset: 'Use built-in music',
      shot: 'voicemail-waiting-music',
    });
    await waiting.getByLabel('Waiting mode').selectOption({ label: 'Music, answered' });
    await waiting.getByLabel('Announce position every (s)').fill('45');
    await page.getByRole('button', { name: 'Save', exact: true }).click();
    await expect(page.getByText('Saved.')).toBeVisible();
    expect(await api.get(`/api/v1/groups/${group.id}`)).toMatchObject({
      waiting_mode: 'answer',
      announce_position_every_s: 45,
    });
  });

  await test.step("an IVR menu's Prompt", async () => {
    await go(page, cohort.server, `/ivr-menus/${menu.id}`);
    const prompt = page.getByRole('group', { name: 'Prompt' });
    await expect(prompt).toBeVisible();
    await expectAccessible(page, 'voicemail-ivr-prompt');
    await uploadAndReset(page, prompt, {
      route: `/api/v1/ivr-menus/${menu.id}/prompt`,
      defaultLabel: 'Default prompt',
      reset: 'Use default prompt',
      shot: 'voicemail-ivr-prompt',
    });
  });

  await test.step('an agent, on My profile: its own Greeting', async () => {
    await page.context().clearCookies();
    await signIn(page, cohort.server, demo.agent);
    const chloe = await api.userByEmail(demo.agent.email);
    await go(page, cohort.server, '/me');
    const greeting = page.getByRole('group', { name: 'Greeting' });
    await expect(greeting).toBeVisible();
    await expectAccessible(page, 'voicemail-my-greeting');
    await uploadAndReset(page, greeting, {
      route: `/api/v1/users/${chloe.id}/greeting`,
      defaultLabel: 'Default greeting',
      reset: 'Use default greeting',
      shot: 'voicemail-my-greeting',
    });
  });
});

test('a message left by a caller: listed, played, marked heard, linked from Call records, deleted', async ({ page }) => {
  test.setTimeout(120_000);
  const api = cohort.server.api;
  const work = fs.mkdtempSync(path.join(os.tmpdir(), 'cohort-e2e-vm-'));
  const DID = '15550199';
  const CALLER = '4155550188';

  // The trunk the caller comes from, a schedule held closed, the group, the route.
  const trunk = await api.post('/api/v1/trunks', {
    name: 'Voicemail carrier',
    host: '127.0.0.1',
    port: 5060,
    transport: 'udp',
    inbound_sources: ['127.0.0.1'],
  });
  const shut = await api.post('/api/v1/schedules', { name: 'Always shut', timezone: 'UTC', override: 'closed' });
  const group = await api.post('/api/v1/groups', { name: 'Shut Desk', schedule: shut.id });
  await api.post('/api/v1/inbound-routes', {
    name: 'Shut line',
    did: DID,
    trunk: trunk.id,
    destination: { type: 'group', id: group.id },
  });

  await test.step('a caller from the trunk leaves a message (SIPp streams a 700 Hz tone)', async () => {
    const audio = path.join(work, 'tone.ulaw');
    fs.writeFileSync(audio, toneMulaw(2, 700));
    const caller = Sipp.start({
      scenario: scenarioFromTemplate(work, path.join(e2eSipp, 'trunk_uac_voicemail_message.xml'), { AUDIO: audio }),
      dir: work,
      name: 'caller',
      localPort: await freeUdpPort(),
      remote: `127.0.0.1:${cohort.server.sipPort}`,
      csvRows: [`${DID};${CALLER};`],
      callId: `e2e-vm-${Date.now()}`,
      timeoutS: 40,
      // The greeting and the beep (about 6 s), then about 5 s of message.
      extra: ['-d', '11000', '-mp', String(await freeMediaPort())],
    });
    expect(await caller.finish(45_000), caller.describe() + cohort.server.log()).toBe(0);
  });

  let message: any;
  await expect
    .poll(
      async () => {
        const items = (await api.get(`/api/v1/voicemails?box=group&id=${group.id}`)).items;
        message = items[0];
        return items.length;
      },
      { timeout: 15_000 },
    )
    .toBe(1);
  expect(message).toMatchObject({ box: 'group', box_id: group.id, heard: false });
  expect(message.caller.number).toBe(CALLER);

  await signIn(page, cohort.server, { token: adminToken });
  await go(page, cohort.server, '/users');
  await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Voicemail' }).click();
  await expect(page.getByRole('heading', { level: 1, name: 'Voicemail' })).toBeVisible();

  const row = page.getByRole('table', { name: 'Messages' }).getByRole('row').filter({ hasText: CALLER });
  await test.step('listed, with a player whose source answers 200 audio/wav', async () => {
    await page.getByLabel('Mailbox').selectOption({ label: 'Group: Shut Desk' });
    await expect(page).toHaveURL(new RegExp(`mailbox=group-${group.id}`));
    await expect(row).toHaveCount(1);
    await expect(row).toContainText('Shut Desk');
    await expect(row).toContainText('New');
    const src = await row.locator('audio').getAttribute('src');
    expect(src).toBe(`/api/v1/voicemails/${message.id}/audio`);
    const res = await page.request.get(cohort.server.baseURL + src);
    expect(res.status()).toBe(200);
    expect(res.headers()['content-type']).toContain('audio/wav');
    expect((await res.body()).subarray(0, 4).toString('ascii')).toBe('RIFF');
    await expectAccessible(page, 'voicemail-list');
  });

  await test.step('Mark heard, then Mark unheard, each stored', async () => {
    await row.getByRole('button', { name: /^Mark heard/ }).click();
    await expect(row.getByRole('button', { name: /^Mark unheard/ })).toBeVisible();
    await expect(row).toContainText('Heard');
    expect((await api.get(`/api/v1/voicemails?box=group&id=${group.id}`)).items[0].heard).toBe(true);
    // "Unheard only" hides it now.
    await page.getByLabel('Unheard only').check();
    await expect(row).toHaveCount(0);
    await page.getByLabel('Unheard only').uncheck();
    await row.getByRole('button', { name: /^Mark unheard/ }).click();
    await expect(row.getByRole('button', { name: /^Mark heard/ })).toBeVisible();
    expect((await api.get(`/api/v1/voicemails?box=group&id=${group.id}`)).items[0].heard).toBe(false);
  });

  await test.step('Call records: the call is "voicemail", linked to its message', async () => {
    let cdr: any;
    await expect
      .poll(async () => {
        cdr = (await api.get('/api/v1/cdrs?disposition=voicemail')).items.find((c: any) => c.voicemail_id === message.id);
        return Boolean(cdr);
      })
      .toBe(true);
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Call records' }).click();
    const record = page.getByRole('main').getByRole('row').filter({ hasText: CALLER });
    await expect(record).toContainText('voicemail');
    await record.getByRole('link', { name: `(message ${message.id})` }).click();
    await expect(page).toHaveURL(new RegExp(`/voicemail\\?message=${message.id}$`));
    const linked = page.getByRole('region', { name: `Message ${message.id}` });
    await expect(linked.locator('audio')).toHaveAttribute('src', `/api/v1/voicemails/${message.id}/audio`);
    await expectAccessible(page, 'voicemail-linked-message');
  });

  await test.step('Delete, after the confirmation', async () => {
    const all = page.getByRole('table', { name: 'Messages' }).getByRole('row').filter({ hasText: CALLER });
    await all.getByRole('button', { name: /^Delete message from/ }).click();
    const confirm = page.getByRole('alertdialog', { name: 'Delete this message?' });
    await expect(confirm).toBeVisible();
    await expectAccessible(page, 'voicemail-delete');
    await confirm.getByRole('button', { name: 'Cancel' }).click();
    expect((await api.get(`/api/v1/voicemails?box=group&id=${group.id}`)).items).toHaveLength(1);

    await all.getByRole('button', { name: /^Delete message from/ }).click();
    await page.getByRole('alertdialog').getByRole('button', { name: 'Delete message' }).click();
    await expect(all).toHaveCount(0);
    expect((await api.get(`/api/v1/voicemails?box=group&id=${group.id}`)).items).toHaveLength(0);
    const gone = await api.call('GET', `/api/v1/voicemails/${message.id}/audio`);
    expect(gone.status).toBe(404);
  });
  fs.rmSync(work, { recursive: true, force: true });
});
