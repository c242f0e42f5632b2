/**
 * A page written for Conductrics, in a real browser: it puts its own object on window.Conductrics
 * first, then loads the script tag from the path Conductrics tags are pasted with
 * (`/js/f-…/dt-…`). Its object is still there, with ClientApi added, and ClientApi selects. Once
 * the key is deleted, an events request the page sends is refused, and the page can read that
 * refusal (403 key_deleted), which it could not if the answer lacked CORS: it would look like a
 * network failure, and a client would retry it forever.
 *
 * On a target that honours privacy signals, a browser sending Global Privacy Control (set by an
 * init script, as the extensions that send it do) gets a variation and nothing reaches the reports.
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
  type PageServer,
  servePage,
  startServer,
} from './helpers/browser.js';

const skip = browserSkipReason();
if (skip) console.log(`# skipping browser tests: ${skip}`);

function conductricsPage(scriptUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Written for Conductrics</title>
  <script>
    window.Conductrics = { mine: 'kept', onReady: function () { return 'still mine'; } };
  </script>
  <script src="${scriptUrl}"></script>
</head>
<body>
  <p>Variation: <span id="variation">default</span></p>
  <script>
    var C = window.Conductrics;
    document.body.setAttribute('data-mine', C.mine + ' / ' + C.onReady());
    if (C.ClientApi) {
      new C.ClientApi().exec([{ a: 'a-hero' }], function (err, res) {
        if (err || !res.items[0]) return;
        document.getElementById('variation').textContent = res.items[0].c;
        document.body.setAttribute('data-session', res.session);
      });
    }
  </script>
</body>
</html>`;
}

describe('a page written for Conductrics, in a browser', { skip }, () => {
  let server: BrowserServer;
  let pages: PageServer | undefined;
  let pageUrl: string;
  let browser: Browser;
  let visitor: BrowserPage;
  let acc: string;
  let keyId: string;
  let eventsUrl: string;
  let html = '';

  async function sessionsCounted(): Promise<number> {
    const res = await server.t.call({
      url: `/admin/${acc}/reports/decision-stats/a-hero`,
      as: { session: server.t.admin },
    });
    return (res.json().data.variations as { sessions: number }[]).reduce((n, v) => n + v.sessions, 0);
  }

  before(async () => {
    server = await startServer();
    const { t } = server;
    acc = t.account.id;
    await t.services.agents.put(acc, 'a-hero', {
      variations: [
        { code: 'A', weight: 1 },
        { code: 'B', weight: 1 },
      ],
    });
    const jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id;
    // another origin than the API's (another host name and port)
    pages = await servePage(() => html);
    pageUrl = pages.url;
    const { key, secret } = await t.services.keys.createKey(
      acc,
      { kind: 'js', name: 'Conductrics pages', allowedOrigins: [new URL(pageUrl).origin] },
      'test',
    );
    keyId = key.id;
    html = conductricsPage(`${server.baseURL}/${acc}/v3/agent-api/js/f-Ab12Cd/${jsTarget}?apikey=${secret}`);
    eventsUrl = `${server.baseURL}/${acc}/v3/agent-api/js/${jsTarget}/events?apikey=${secret}`;
    browser = await launchBrowser();
    visitor = await openPage(browser, { baseURL: pageUrl });
  });

  after(async () => {
    await browser?.close();
    await pages?.close();
    await server?.close();
  });

  test('the script from the f- path adds ClientApi beside what the page put on window.Conductrics', async () => {
    const { page } = visitor;
    await page.goto(pageUrl);
    await page.waitForFunction(() => document.body.hasAttribute('data-session'));
    assert.equal(await page.locator('body').getAttribute('data-mine'), 'kept / still mine');
    assert.match((await page.locator('#variation').textContent()) ?? '', /^[AB]$/);
    assert.equal(await page.evaluate(() => typeof (window as { Tessera?: unknown }).Tessera), 'object');
    assert.deepEqual(visitor.problems, []);
  });

  test("after the key is deleted, an events request's refusal is readable by the page", async () => {
    const deleted = await server.t.call({
      method: 'DELETE',
      url: `/admin/${acc}/api-keys/${keyId}?confirm=${encodeURIComponent('Conductrics pages')}`,
      as: { session: server.t.admin },
    });
    assert.equal(deleted.statusCode, 200, deleted.body);
    const answer = await visitor.page.evaluate(async (url) => {
      try {
        const res = await fetch(url, {
          method: 'POST',
          body: JSON.stringify({ session: 's-1', events: [{ a: 'a-hero', c: 'A' }] }),
          headers: { 'content-type': 'text/plain' },
          credentials: 'omit',
        });
        return { status: res.status, code: ((await res.json()) as { code: string }).code };
      } catch (error) {
        return { failed: String(error) };
      }
    }, eventsUrl);
    assert.deepEqual(answer, { status: 403, code: 'key_deleted' });
  });

  test('on a target that honours privacy signals, a GPC browser gets a variation and nothing is counted', async () => {
    const { t } = server;
    const jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id as string;
    await t.services.deployTargets.update(acc, jsTarget, { honourPrivacySignals: true });
    const { secret } = await t.services.keys.createKey(acc, { kind: 'js', name: 'Private pages' }, 'test');
    html = conductricsPage(`${server.baseURL}/${acc}/v3/agent-api/js/f-Ab12Cd/${jsTarget}?apikey=${secret}`);
    const privateVisitor = await openPage(browser, { baseURL: pageUrl });
    // as source text: a function would be serialised with the test's own transpiler helpers
    await privateVisitor.context.addInitScript(
      "Object.defineProperty(Navigator.prototype, 'globalPrivacyControl', { get: function () { return true; } });",
    );
    const before = await sessionsCounted();
    await privateVisitor.page.goto(pageUrl);
    await privateVisitor.page.waitForFunction(
      () => document.getElementById('variation')?.textContent !== 'default',
    );
    assert.equal(await privateVisitor.page.locator('#variation').textContent(), 'A', 'the first variation');
    // leaving the page is when queued events would be sent
    await privateVisitor.page.goto('about:blank');
    await new Promise((resolve) => setTimeout(resolve, 1000));
    assert.equal(await sessionsCounted(), before);
    const stored = await privateVisitor.context.storageState();
    assert.deepEqual(stored.origins, [], 'nothing in localStorage');
    assert.deepEqual(privateVisitor.problems, []);
  });
});
