/**
 * Goals, Agents and Reports in a real browser: a goal and an agent made in the console answer on
 * the runtime API, and the agent's report shows its table and draws its daily charts (uPlot,
 * served by the console) without a browser error.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
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

describe('Agents, Goals and Reports in a browser', { skip }, () => {
  let server: BrowserServer;
  let browser: Browser;
  let admin: BrowserPage;
  let acc: string;

  before(async () => {
    server = await startServer();
    acc = server.t.account.id;
    browser = await launchBrowser();
    admin = await openPage(browser, { baseURL: server.baseURL });
    await signInThroughPage(admin.page);
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  test('New Goal, then New Agent tracking it', async () => {
    const { page } = admin;
    await page.goto(`/console/${acc}/goals`);
    await page.getByRole('button', { name: 'New Goal' }).click();
    const dialog = page.getByRole('dialog', { name: 'New Goal' });
    await dialog.getByLabel('Code').fill('g-signup');
    await dialog.getByLabel('Name').fill('Signed up');
    await dialog.getByLabel('Default value').fill('2');
    await dialog.getByRole('button', { name: 'Create' }).click();
    await page.getByRole('rowheader', { name: /Signed up/ }).waitFor();
    await screenshot(page, '30-goals');

    await page.getByRole('link', { name: 'Agents' }).click();
    await page.getByRole('link', { name: 'New Agent' }).click();
    await page.getByLabel('Code', { exact: true }).fill('a-hero');
    await page.getByLabel('Name', { exact: true }).fill('Hero banner');
    await page.getByLabel('Variation 2 name').fill('Bold');
    await page.getByLabel('Only these goals:').check();
    await page.getByRole('checkbox', { name: /Signed up/ }).check();
    await screenshot(page, '31-new-agent');
    await page.getByRole('button', { name: 'Create agent' }).click();
    await page.waitForURL(`**/console/${acc}/agents/a-hero`);
    await page.getByRole('heading', { name: /Hero banner/ }).waitFor();
    const agent = await server.t.services.agents.get(acc, 'a-hero');
    assert.deepEqual(agent.goals, ['g-signup']);
    assert.deepEqual(
      agent.variations.map((v) => [v.code, v.name]),
      [
        ['A', 'Control'],
        ['B', 'Bold'],
      ],
    );

    // Pause it at B, then run it again: Save answers in place.
    await page.getByRole('radio', { name: /^Paused/ }).check();
    await page.getByLabel('Paused at', { exact: true }).selectOption('B');
    await page.getByRole('button', { name: 'Save agent' }).click();
    await page.getByText('Saved a-hero').waitFor();
    assert.equal((await server.t.services.agents.get(acc, 'a-hero')).status, 'paused');
    await page.getByRole('radio', { name: /^Running/ }).check();
    await page.getByRole('button', { name: 'Save agent' }).click();
    await page.getByText(/Saved a-hero \(version \d+\)/).waitFor();
    await screenshot(page, '32-agent-editor');
    assert.deepEqual(admin.problems, []);
  });

  test('the report shows the table and draws the daily charts', async () => {
    const { t } = server;
    const key = await t.key('rest');
    for (let i = 0; i < 40; i++) {
      const commands = i % 3 === 0 ? [{ a: 'a-hero' }, { g: 'g-signup' }] : [{ a: 'a-hero' }];
      const res = await fetch(`${server.baseURL}/${acc}/v3/agent-api?session=visitor-${i}`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key.secret}`, 'content-type': 'application/json' },
        body: JSON.stringify({ commands }),
      });
      assert.equal(res.status, 200);
    }
    await t.services.events.flush();

    const { page } = admin;
    await page.getByRole('link', { name: 'Report', exact: true }).click();
    await page.waitForURL(`**/console/${acc}/reports/a-hero`);
    await page.getByText('40 sessions counted').waitFor();
    const table = page.getByRole('table', { name: /Signed up/ });
    assert.equal(await table.getByRole('row').count(), 3, 'a header row and one row per variation');
    assert.match((await table.textContent()) ?? '', /baseline/);
    await page.locator('.chart canvas').first().waitFor();
    assert.equal(await page.locator('.chart .uplot').count(), 2, 'sessions, and the goal’s rate');
    await screenshot(page, '33-report');
    assert.deepEqual(admin.problems, []);

    const phone = await openPage(browser, { baseURL: server.baseURL, width: 390, height: 844 });
    await signInThroughPage(phone.page);
    await phone.page.goto(`/console/${acc}/reports/a-hero`);
    await phone.page.locator('.chart canvas').first().waitFor();
    const overflow = await phone.page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    assert.ok(overflow <= 0, `the report scrolls sideways by ${overflow}px`);
    await screenshot(phone.page, '34-report-phone');
    assert.deepEqual(phone.problems, []);
    await phone.context.close();
  });
});
