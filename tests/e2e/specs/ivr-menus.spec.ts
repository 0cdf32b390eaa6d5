// IVR menus through the console (issue 13): IVR Menus → Add, a name and two options chosen
// with the destination picker (a user group each), then an inbound route pointed at the
// menu ("An IVR menu" in the picker). Every step is checked against the API.
import type { Page } from '@playwright/test';
import { useCohort } from '../lib/server';
import { demo } from '../lib/demo';
import { expect, expectAccessible, go, screenshot, signIn, test } from '../lib/fixtures';

const cohort = useCohort({ demo: true });
const MENU = 'Main menu';

async function pickOption(page: Page, combobox: ReturnType<Page['getByRole']>, text: string, option: RegExp) {
  await combobox.fill(text);
  await page.getByRole('option', { name: option }).click();
}

test('create a menu with two options and point an inbound route at it', async ({ page }) => {
  const api = cohort.server.api;
  const sales = await api.post('/api/v1/groups', { name: 'IVR Sales' });
  const support = await api.post('/api/v1/groups', { name: 'IVR Support' });
  await signIn(page, cohort.server, demo.admin);

  let menuId = 0;
  await test.step('IVR Menus → Add → Name, key 1 and key 2, Direct dial → Add IVR menu', async () => {
    await go(page, cohort.server, '/users');
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'IVR Menus' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'IVR Menus' })).toBeVisible();
    await expect(page.getByText('No IVR menus yet.')).toBeVisible();
    await page.getByRole('link', { name: 'Add', exact: true }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Add IVR menu' })).toBeVisible();
    await page.getByRole('textbox', { name: 'Name' }).fill(MENU);

    await page.getByRole('button', { name: 'Add option' }).click();
    const one = page.getByRole('group', { name: 'Destination for key 1' });
    await one.getByLabel('Send calls to').selectOption({ label: 'A user group' });
    await pickOption(page, one.getByRole('combobox', { name: 'User group' }), 'IVR Sa', /^IVR Sales/);

    await page.getByRole('button', { name: 'Add option' }).click();
    await expect(page.getByRole('combobox', { name: 'Key of option 2' })).toHaveValue('2');
    const two = page.getByRole('group', { name: 'Destination for key 2' });
    await two.getByLabel('Send calls to').selectOption({ label: 'A user group' });
    await pickOption(page, two.getByRole('combobox', { name: 'User group' }), 'IVR Su', /^IVR Support/);

    await page.getByRole('textbox', { name: 'Timeout (s)' }).fill('7');
    const invalid = page.getByRole('group', { name: 'Invalid destination' });
    await invalid.getByLabel('Send calls to').selectOption({ label: 'Hang up' });
    await page.getByRole('checkbox', { name: /Direct dial/ }).locator('xpath=ancestor::label[1]').click();
    await expectAccessible(page, 'ivr-menu-new');
    await page.getByRole('button', { name: 'Add IVR menu' }).click();

    await expect(page.getByRole('heading', { level: 1, name: 'IVR Menus' })).toBeVisible();
    await expect(page.getByRole('link', { name: MENU })).toBeVisible();
    const menus = await api.all('/api/v1/ivr-menus');
    expect(menus).toHaveLength(1);
    expect(menus[0]).toMatchObject({
      name: MENU,
      options: { '1': { type: 'group', id: sales.id }, '2': { type: 'group', id: support.id } },
      timeout_s: 7,
      timeout: null,
      invalid: { type: 'hangup' },
      repeat: 3,
      direct_dial: true,
    });
    menuId = menus[0].id;
    await screenshot(page, 'ivr-menus-list');
  });

  await test.step('Inbound Routes → Add → Destination: An IVR menu → the menu', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'Inbound Routes' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Inbound Routes' })).toBeVisible();
    await page.getByRole('link', { name: 'Add', exact: true }).click();
    await page.getByRole('textbox', { name: 'Name' }).fill('IVR line');
    await page.getByRole('textbox', { name: 'DID pattern' }).fill('4930123456');
    const destination = page.getByRole('group', { name: 'Destination' });
    await destination.getByLabel('Send calls to').selectOption({ label: 'An IVR menu' });
    await pickOption(page, destination.getByRole('combobox', { name: 'IVR menu' }), 'Main', /^Main menu/);
    await screenshot(page, 'ivr-inbound-route');
    await page.getByRole('button', { name: 'Add inbound route' }).click();
    await expect(page.getByRole('heading', { level: 1, name: 'Inbound Routes' })).toBeVisible();
    await expect(page.getByRole('link', { name: MENU })).toBeVisible();
    const routes = await api.all('/api/v1/inbound-routes');
    const route = routes.find((r) => r.name === 'IVR line');
    expect(route).toMatchObject({ did: '4930123456', destination: { type: 'ivr', id: menuId } });
    await expectAccessible(page, 'ivr-inbound-routes');
  });

  await test.step('the menu cannot be deleted while the route uses it', async () => {
    await page.getByRole('navigation', { name: 'Main' }).getByRole('link', { name: 'IVR Menus' }).click();
    await page.getByRole('button', { name: `Delete IVR menu ${MENU}` }).click();
    const dialog = page.getByRole('alertdialog');
    await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
    await expect(dialog.getByText('IVR line')).toBeVisible();
    await screenshot(page, 'ivr-delete-referred');
    await dialog.getByRole('button', { name: 'Cancel' }).click();
    expect((await api.get(`/api/v1/ivr-menus/${menuId}`)).name).toBe(MENU);
  });
});
