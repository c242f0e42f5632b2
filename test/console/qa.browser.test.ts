/**
 * QA in a real browser: a QA session's recent requests open with their debug lines, and Forget,
 * once confirmed, makes its next request a new visitor; on a desktop and a phone width.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import {
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

describe('QA in a browser', { skip }, () => {
  let server: BrowserServer;
  let browser: Browser;

  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  for (const width of [1280, 390]) {
    test(`recent requests and Forget at ${width} px`, async () => {
      const { t } = server;
      const acc = t.account.id;
      const restTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'rest')
        ?.id as string;
      await t.services.agents.put(acc, 'a-hero', { variations: [{ code: 'A' }, { code: 'B' }] });
      const qa = await t.services.qaSessions.create(acc, {
        deployTarget: restTarget,
        name: `Checkout check ${width}`,
        forced: { 'a-hero': 'B' },
      });
      const rest = (await t.key('rest')).secret;
      const run = () =>
        t.call({
          method: 'POST',
          url: `/${acc}/v3/agent-api?session=${qa.code}`,
          as: { key: rest },
          body: { commands: [{ a: 'a-hero' }, { a: 'a-missing' }], inputs: { plan: 'pro' } },
        });
      await run();
      await run();

      const { page, problems } = await openPage(browser, { baseURL: server.baseURL, width });
      await signInThroughPage(page);
      await page.goto(`/console/${acc}/qa`);
      const panel = page.locator(`#requests-${qa.code}`);
      await panel.locator('summary').click();
      await panel.getByText("QA session forces variation 'B'").first().waitFor();
      await screenshot(page, `60-qa-requests-${width}`);

      page.once('dialog', (dialog) => {
        assert.match(dialog.message(), /Forget the visitor/);
        void dialog.accept();
      });
      const forgotten = page.waitForResponse((r) => r.url().endsWith(`/${qa.code}/forget`));
      await page.locator(`#forget-qa-${qa.code}`).click();
      assert.equal((await forgotten).status(), 204);
      assert.equal(await t.services.visitors.get(acc, qa.code), null);
      assert.deepEqual(problems, []);
    });
  }
});
