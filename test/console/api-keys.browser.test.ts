/**
 * Settings > API Keys / Info in a real browser, click by click as the key documentation describes:
 * create a REST key and use its secret on the runtime API; associate it with one deploy target
 * and see 403 on another; delete it through the confirmation and see 403; create each admin level;
 * a View Reports user cannot reach key management; key creation with the keyboard alone.
 * Screenshots of each key screen go to test-artifacts/screenshots/.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import { ADMIN_PASSWORD } from '../helpers/app.js';
import {
  type BrowserPage,
  type BrowserServer,
  browserSkipReason,
  launchBrowser,
  openPage,
  screenshot,
  signInThroughPage,
  startServer,
} from '../helpers/browser.js';

const skip = browserSkipReason();
if (skip) console.log(`# skipping browser tests: ${skip}`);

describe('Settings > API Keys / Info in a browser', { skip }, () => {
  let server: BrowserServer;
  let browser: Browser;
  let admin: BrowserPage;
  let acc: string;
  let keysUrl: string;
  let production: string;
  let staging: string;
  let restSecret = '';

  const runtime = (secret: string, dt: string) =>
    fetch(`${server.baseURL}/${acc}/v3/agent-api/${dt}`, {
      method: 'POST',
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
      body: JSON.stringify({ commands: [{ a: 'a-hero' }] }),
    });
  const admin_api = (secret: string, path: string, init: RequestInit = {}) =>
    fetch(`${server.baseURL}/admin/${acc}${path}`, {
      ...init,
      headers: { authorization: `Bearer ${secret}`, 'content-type': 'application/json' },
    });

  /** The dialog now open, by its title. */
  const dialog = (page: Page, name: RegExp) => page.getByRole('dialog', { name });

  async function newSecret(page: Page): Promise<string> {
    const secretDialog = dialog(page, /^New .* key/);
    await secretDialog.waitFor();
    const secret = await secretDialog.getByLabel('API key', { exact: true }).inputValue();
    assert.match(secret, /^tess_/);
    return secret;
  }

  async function closeDialog(page: Page, button = 'Done') {
    const open = page.locator('dialog[open]');
    // The dialog leaves the page in its close handler, a task after it closes (loses [open]):
    // until then what it showed (a new secret) is still in the page.
    const element = await open.elementHandle();
    await open.getByRole('button', { name: button }).click();
    await page.waitForFunction((shown) => !shown?.isConnected, element);
  }

  function keyRow(page: Page, name: string) {
    return page
      .locator('#keys-panel tbody tr')
      .filter({ has: page.getByRole('rowheader', { name, exact: true }) });
  }

  before(async () => {
    server = await startServer();
    acc = server.t.account.id;
    keysUrl = `/console/${acc}/settings/api-keys`;
    await server.t.services.agents.put(acc, 'a-hero', { variations: [{ code: 'A' }, { code: 'B' }] });
    browser = await launchBrowser();
    admin = await openPage(browser, { baseURL: server.baseURL });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('signing in leads from the console to the page asked for', async () => {
    await admin.page.goto(keysUrl);
    assert.match(admin.page.url(), /\/console\/login\?next=/);
    await screenshot(admin.page, '01-sign-in');
    await signInThroughPage(admin.page);
    assert.equal(new URL(admin.page.url()).pathname, keysUrl);
    await admin.page.getByRole('heading', { name: 'API Keys', exact: true }).waitFor();
    await screenshot(admin.page, '02-api-keys-empty');
    assert.deepEqual(admin.problems, []);
  });

  test('Create API Key → REST API: the secret is shown once, copies, and works on the runtime API', async () => {
    const { page } = admin;
    await page.locator('summary', { hasText: 'Create API Key' }).click();
    await screenshot(page, '03-create-api-key-menu');
    await page.getByRole('button', { name: /^REST API/ }).click();
    const secret = await newSecret(page);
    const shown = dialog(page, /^New REST API key/);
    await shown.getByText('It will not be shown again').waitFor();
    await screenshot(page, '04-new-rest-key-secret');

    await shown.getByRole('button', { name: 'Copy' }).first().click();
    await shown.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await closeDialog(page);

    const row = keyRow(page, 'REST API key');
    assert.equal(await row.count(), 1);
    assert.equal(await row.locator('.marker').textContent(), 'REST API');
    assert.match((await row.textContent()) ?? '', /all/);
    assert.ok(!(await page.content()).includes(secret), 'the secret is gone from the page once closed');
    await screenshot(page, '05-api-keys-with-rest-key');

    const targets = await server.t.services.deployTargets.list(acc);
    production = targets.find((t) => t.kind === 'rest')?.id ?? '';
    const res = await runtime(secret, production);
    assert.equal(res.status, 200, await res.text());
    assert.deepEqual(admin.problems, []);
    restSecret = secret;
  });

  test('Edit → one deploy target: 403 on another; no target again: every target', async () => {
    const { page } = admin;
    const secret = restSecret;

    // A second REST target, made on Settings > Deploy Targets.
    await page.getByRole('link', { name: 'Deploy Targets' }).click();
    await page.getByRole('button', { name: 'New Deploy Target' }).click();
    const create = dialog(page, /New Deploy Target/);
    await create.getByLabel('Name').fill('Staging');
    await screenshot(page, '06-new-deploy-target');
    await create.getByRole('button', { name: 'Create' }).click();
    await page
      .locator('#targets-panel')
      .getByRole('rowheader', { name: /^Staging/ })
      .waitFor();
    staging = (await server.t.services.deployTargets.list(acc)).find((t) => t.name === 'Staging')?.id ?? '';
    assert.match(staging, /^dt-/);
    await screenshot(page, '07-deploy-targets');

    await page.getByRole('link', { name: 'API Keys / Info' }).click();
    await keyRow(page, 'REST API key').getByRole('button', { name: /^Edit/ }).click();
    const edit = dialog(page, /^Edit API key/);
    await edit.getByLabel('Name').fill('Checkout service');
    await edit.getByRole('checkbox', { name: /Production/ }).check();
    assert.equal(await edit.getByRole('checkbox', { name: /Staging/ }).isChecked(), false);
    await screenshot(page, '08-edit-api-key');
    await edit.getByRole('button', { name: 'Save' }).click();
    await edit.waitFor({ state: 'detached' });
    const row = keyRow(page, 'Checkout service');
    assert.match((await row.textContent()) ?? '', /Production/);
    await screenshot(page, '09-api-key-one-target');

    assert.equal((await runtime(secret, production)).status, 200);
    const refused = await runtime(secret, staging);
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).code, 'deploy_target_not_allowed');

    // Leaving the field blank lets the key work with every REST API target again.
    await row.getByRole('button', { name: /^Edit/ }).click();
    await dialog(page, /^Edit API key/)
      .getByRole('checkbox', { name: /Production/ })
      .uncheck();
    await dialog(page, /^Edit API key/)
      .getByRole('button', { name: 'Save' })
      .click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    assert.match((await keyRow(page, 'Checkout service').textContent()) ?? '', /all/);
    assert.equal((await runtime(secret, staging)).status, 200);
    assert.deepEqual(admin.problems, []);
  });

  test('Delete asks for confirmation, then the key gets 403 at once', async () => {
    const { page } = admin;
    const secret = restSecret;
    const row = keyRow(page, 'Checkout service');
    await row.getByRole('button', { name: /^Delete/ }).click();
    const confirm = dialog(page, /Delete this API key/);
    await confirm.getByText('stops working at once').waitFor();
    await confirm.getByText('no way to re-create').waitFor();
    await screenshot(page, '10-delete-api-key');

    // Keeping it changes nothing.
    await closeDialog(page, 'Keep the key');
    assert.equal((await runtime(secret, production)).status, 200);

    await row.getByRole('button', { name: /^Delete/ }).click();
    // The key was used a moment ago: its name must be typed to delete it.
    const typed = dialog(page, /Delete this API key/);
    await typed.getByText(/used in the last 24 hours/).waitFor();
    await typed.getByLabel(/Type its name/).fill('Checkout service');
    await typed.getByRole('button', { name: 'Delete API key' }).click();
    await page.locator('dialog[open]').waitFor({ state: 'detached' });
    assert.equal(await keyRow(page, 'Checkout service').count(), 0);
    await page.getByText('It no longer works').waitFor();
    const refused = await runtime(secret, production);
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).code, 'key_deleted');
    assert.deepEqual(admin.problems, []);
  });

  test('New Admin Key: each access level, then Create to confirm', async () => {
    const { page } = admin;
    await page.getByRole('button', { name: 'New Admin Key' }).click();
    const choose = dialog(page, /^New Admin Key/);
    assert.equal(
      await choose.getByRole('radio', { name: /Reports and List Agents \(read-only\)/ }).isChecked(),
      true,
    );
    await screenshot(page, '11-new-admin-key');
    await choose.getByRole('button', { name: 'Create' }).click();
    const readOnly = await newSecret(page);
    await screenshot(page, '12-new-admin-key-secret');
    await closeDialog(page);

    await page.getByRole('button', { name: 'New Admin Key' }).click();
    await dialog(page, /^New Admin Key/)
      .getByRole('radio', { name: /Agent Author \/ Admin/ })
      .check();
    await dialog(page, /^New Admin Key/)
      .getByLabel('Name')
      .fill('Deploy bot');
    await dialog(page, /^New Admin Key/)
      .getByRole('button', { name: 'Create' })
      .click();
    const author = await newSecret(page);
    await closeDialog(page);

    assert.equal(
      await keyRow(page, 'Admin key (read-only)').locator('.marker').textContent(),
      'Admin: Reports and List Agents (read-only)',
    );
    assert.equal(
      await keyRow(page, 'Deploy bot').locator('.marker').textContent(),
      'Admin: Agent Author / Admin',
    );
    await screenshot(page, '13-api-keys-admin-keys');

    const agent = JSON.stringify({ variations: [{ code: 'A' }, { code: 'B' }] });
    assert.equal((await admin_api(readOnly, '/agents')).status, 200);
    const refused = await admin_api(readOnly, '/agents/a-new', { method: 'PUT', body: agent });
    assert.equal(refused.status, 403);
    assert.equal((await refused.json()).code, 'insufficient_role');
    assert.equal((await admin_api(author, '/agents')).status, 200);
    const created = await admin_api(author, '/agents/a-new', { method: 'PUT', body: agent });
    assert.ok(created.status === 200 || created.status === 201, await created.text());
    assert.deepEqual(admin.problems, []);
  });

  test('Create API Key → JavaScript and On-Device: the key and the ready-to-paste script tag', async () => {
    const { page } = admin;
    await page.locator('summary', { hasText: 'Create API Key' }).click();
    await page.getByRole('button', { name: /^JavaScript and On-Device/ }).click();
    const secret = await newSecret(page);
    const web = (await server.t.services.deployTargets.list(acc)).find((t) => t.kind === 'js');
    assert.ok(web);
    const tag = await dialog(page, /^New JS \/ On-Device key/)
      .getByLabel(`Script tag for ${web.name} (${web.id})`)
      .inputValue();
    assert.equal(
      tag,
      `<script src="${server.baseURL}/${acc}/v3/agent-api/js/${web.id}?apikey=${secret}"></script>`,
    );
    await screenshot(page, '14-new-js-key-script-tag');
    await closeDialog(page);
    assert.equal(await keyRow(page, 'JS / On-Device key').locator('.marker').textContent(), 'JS / On-Device');
    // The tag's address serves the client for that target.
    const src = /src="([^"]+)"/.exec(tag)?.[1] ?? '';
    const script = await fetch(src);
    assert.equal(script.status, 200, await script.clone().text());
    assert.match(script.headers.get('content-type') ?? '', /javascript/);
    assert.deepEqual(admin.problems, []);
  });

  test('a View Reports user sees no key management and is refused it', async () => {
    const { page } = admin;
    await page.getByRole('link', { name: 'Users' }).click();
    await page.getByRole('button', { name: 'Add User' }).click();
    const add = dialog(page, /Add User/);
    await add.getByLabel('Email').fill('viewer@example.com');
    await add.getByLabel('Password').fill(ADMIN_PASSWORD);
    await add.getByLabel('Role').selectOption('view-reports');
    await screenshot(page, '15-add-user');
    await add.getByRole('button', { name: 'Add User' }).click();
    await page.locator('#users-panel').getByRole('rowheader', { name: 'viewer@example.com' }).waitFor();
    await screenshot(page, '16-users');

    const viewer = await openPage(browser, { baseURL: server.baseURL });
    await signInThroughPage(viewer.page, 'viewer@example.com', ADMIN_PASSWORD);
    await viewer.page.goto(`/console/${acc}/settings`);
    assert.equal(new URL(viewer.page.url()).pathname, `/console/${acc}/settings/deploy-targets`);
    assert.equal(await viewer.page.getByRole('link', { name: 'API Keys / Info' }).count(), 0);
    assert.equal(await viewer.page.getByRole('link', { name: 'Users' }).count(), 0);
    assert.equal(
      await viewer.page.getByRole('button', { name: /New Deploy Target|Deploy now|Edit|Delete/ }).count(),
      0,
    );
    await screenshot(viewer.page, '17-view-reports-deploy-targets');
    assert.deepEqual(viewer.problems, []);

    const response = await viewer.page.goto(keysUrl);
    assert.equal(response?.status(), 403);
    await viewer.page.getByRole('heading', { name: 'Not authorized' }).waitFor();
    await screenshot(viewer.page, '18-view-reports-refused-api-keys');

    // Signing out from the person's menu ends the session.
    await viewer.page.goto(`/console/${acc}/agents`);
    await viewer.page.locator('summary', { hasText: 'viewer@example.com' }).click();
    await viewer.page.getByRole('button', { name: 'Sign out' }).click();
    await viewer.page.waitForURL('**/console/login');
    await viewer.page.goto(`/console/${acc}/agents`);
    assert.match(viewer.page.url(), /\/console\/login\?next=/);
    await viewer.context.close();
  });

  test('creating a key with the keyboard alone', async () => {
    const keyboard = await openPage(browser, { baseURL: server.baseURL });
    const { page } = keyboard;
    await signInThroughPage(page);
    await page.goto(keysUrl);
    const focused = () => page.evaluate(() => document.activeElement?.textContent?.trim() ?? '');

    async function tabTo(text: string, key = 'Tab') {
      for (let i = 0; i < 40; i++) {
        await page.keyboard.press(key);
        if ((await focused()).startsWith(text)) return;
      }
      assert.fail(`Tab never reached "${text}"`);
    }

    await tabTo('Create API Key');
    await page.keyboard.press('Enter');
    await page.keyboard.press('Tab');
    assert.match(await focused(), /^REST API/);
    await page.keyboard.press('Enter');
    const shown = dialog(page, /^New REST API key/);
    await shown.waitFor();
    assert.equal(
      await page.evaluate(() => document.activeElement?.closest('dialog') !== null),
      true,
      'focus moves into the dialog',
    );
    const secret = await shown.getByLabel('API key', { exact: true }).inputValue();
    await page.keyboard.press('Tab');
    assert.equal(await focused(), 'Copy');
    await page.keyboard.press('Enter');
    await shown.getByText('Copied to the clipboard.').waitFor();
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), secret);
    await page.keyboard.press('Escape');
    // The dialog leaves the page in its close handler, which then gives focus back; by role, it
    // is gone as soon as it closes, before that handler has run.
    await page.locator('dialog#new-key').waitFor({ state: 'detached' });
    assert.equal(await focused(), 'Create API Key', 'focus returns to the menu that opened the dialog');

    // New Admin Key, level chosen with the arrow keys, confirmed with Enter.
    await tabTo('New Admin Key', 'Shift+Tab');
    await page.keyboard.press('Enter');
    await dialog(page, /^New Admin Key/).waitFor();
    await page.keyboard.press('ArrowDown');
    await page.keyboard.press('Tab');
    await page.keyboard.type('Keyboard author');
    await page.keyboard.press('Enter');
    await dialog(page, /^New Admin: Agent Author \/ Admin key/).waitFor();
    await page.keyboard.press('Escape');
    assert.equal(
      await keyRow(page, 'Keyboard author').locator('.marker').textContent(),
      'Admin: Agent Author / Admin',
    );
    assert.equal((await runtime(secret, production)).status, 200);
    assert.deepEqual(keyboard.problems, []);
    await keyboard.context.close();
  });

  test('at a phone’s width the key list fits the screen', async () => {
    const phone = await openPage(browser, { baseURL: server.baseURL, width: 390, height: 844 });
    await signInThroughPage(phone.page);
    await phone.page.goto(keysUrl);
    const overflow = await phone.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow}px`);
    await screenshot(phone.page, '19-api-keys-phone');
    await phone.page.locator('summary', { hasText: 'Create API Key' }).click();
    await screenshot(phone.page, '20-create-menu-phone');
    // The edit dialog keeps the key's kind (the longest: the read-only admin key's) within its edges.
    await phone.page.goto(keysUrl);
    await phone.page.getByRole('button', { name: 'Edit' }).first().click();
    const dialog = phone.page.locator('dialog#edit-key');
    await dialog.waitFor();
    const [marker, frame] = await Promise.all([
      dialog.locator('.marker').boundingBox(),
      dialog.boundingBox(),
    ]);
    assert.ok(marker && frame, 'the dialog and its kind marker are shown');
    assert.ok(
      marker.x + marker.width <= frame.x + frame.width,
      `the kind marker runs past the dialog: ${JSON.stringify({ marker, frame })}`,
    );
    await screenshot(phone.page, '21-edit-key-phone');
    assert.deepEqual(phone.problems, []);
    await phone.context.close();
  });
});
