/**
 * The script tag in a real browser: a plain HTML page, served by a second small server on another
 * origin, includes the script tag of a JS / On-Device key, shows the variation ClientApi chose,
 * rewards a goal, and the report counts that session and its conversion (the beacon crossed
 * origins, and passed the key's allowed origins). A reload keeps the variation. Once the key is
 * deleted the script URL answers 404, and the page falls back to its default content without a
 * page error.
 *
 * The server runs with TESSERA_SCRIPT_MAX_AGE=0, so every reload revalidates the script: a
 * revalidation after the deletion must meet the 404, not a 304.
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

/** A shop page written for the script tag, with its own content for when the script is missing. */
function shopPage(scriptUrl: string): string {
  return `<!doctype html>
<html lang="en">
<head>
  <meta charset="utf-8">
  <title>Shop</title>
  <script src="${scriptUrl}"></script>
</head>
<body>
  <h1 id="headline">Welcome to the shop</h1>
  <p>Variation: <span id="variation">default</span></p>
  <button id="buy" type="button">Buy</button>
  <p id="rewarded"></p>
  <script>
    var api = window.Tessera ? new window.Tessera.ClientApi() : null;
    if (api) {
      api.exec([{ a: 'a-hero' }], function (err, res) {
        if (err) return;
        document.body.setAttribute('data-session', res.session);
        var item = res.items[0];
        if (!item) return;
        document.getElementById('variation').textContent = item.c;
        document.getElementById('headline').textContent = item.md.headline;
      });
    }
    document.getElementById('buy').addEventListener('click', function () {
      if (!api) return;
      api.exec([{ g: 'g-buy' }], function (err, res) {
        if (!err) document.getElementById('rewarded').textContent = JSON.stringify(res.items[0].rs);
      });
    });
  </script>
</body>
</html>`;
}

interface Variation {
  code: string;
  sessions: number;
  goals: { goal: string; conversions: number }[];
}

describe('the script tag in a browser', { skip }, () => {
  let server: BrowserServer;
  let pages: PageServer | undefined;
  let pageUrl: string;
  let browser: Browser;
  let shopper: BrowserPage;
  let acc: string;
  let keyId: string;
  let scriptUrl: string;
  const previousMaxAge = process.env.TESSERA_SCRIPT_MAX_AGE;

  before(async () => {
    process.env.TESSERA_SCRIPT_MAX_AGE = '0';
    server = await startServer();
    const { t } = server;
    acc = t.account.id;
    await t.services.goals.put(acc, 'g-buy', { name: 'Bought', value: 1 });
    await t.services.agents.put(acc, 'a-hero', {
      name: 'Hero banner',
      metaKeys: ['headline'],
      variations: [
        { code: 'A', weight: 1, meta: { headline: 'Welcome back' } },
        { code: 'B', weight: 1, meta: { headline: 'Half price today' } },
      ],
      goals: ['g-buy'],
    });
    const jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id;

    // The page lives on another origin (another host name and port) than the API.
    let html = '';
    pages = await servePage(() => html);
    pageUrl = pages.url;

    const { key, secret } = await t.services.keys.createKey(
      acc,
      { kind: 'js', name: 'Shop pages', allowedOrigins: [new URL(pageUrl).origin] },
      'test',
    );
    keyId = key.id;
    scriptUrl = `${server.baseURL}/${acc}/v3/agent-api/js/${jsTarget}?apikey=${secret}`;
    html = shopPage(scriptUrl);
    browser = await launchBrowser();
    shopper = await openPage(browser, { baseURL: pageUrl });
  });

  after(async () => {
    await browser?.close();
    await pages?.close();
    await server?.close();
    if (previousMaxAge === undefined) delete process.env.TESSERA_SCRIPT_MAX_AGE;
    else process.env.TESSERA_SCRIPT_MAX_AGE = previousMaxAge;
  });

  async function heroReport(): Promise<Variation[]> {
    const res = await server.t.call({
      url: `/admin/${acc}/reports/decision-stats/a-hero`,
      as: { session: server.t.admin },
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().data.variations as Variation[];
  }

  /** Waits until the report shows what the beacons should have recorded. */
  async function reportUntil(check: (variations: Variation[]) => boolean): Promise<Variation[]> {
    const deadline = Date.now() + 15_000;
    for (;;) {
      const variations = await heroReport();
      if (check(variations) || Date.now() > deadline) return variations;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }

  let shown = '';
  let session = '';

  test('the page shows the variation ClientApi chose, with its metadata', async () => {
    const { page } = shopper;
    await page.goto(pageUrl);
    await page.waitForFunction(() => document.body.hasAttribute('data-session'));
    shown = (await page.locator('#variation').textContent()) ?? '';
    assert.match(shown, /^[AB]$/);
    const headline = await page.locator('#headline').textContent();
    assert.equal(headline, shown === 'A' ? 'Welcome back' : 'Half price today');
    session = (await page.locator('body').getAttribute('data-session')) ?? '';
    assert.match(session, /^[0-9A-Za-z]{22}$/);
  });

  test('a reward through ClientApi, and the report counts the session and its conversion', async () => {
    const { page } = shopper;
    await page.getByRole('button', { name: 'Buy' }).click();
    await page.waitForFunction(() => document.getElementById('rewarded')?.textContent !== '');
    assert.deepEqual(JSON.parse((await page.locator('#rewarded').textContent()) ?? ''), [
      { a: 'a-hero', v: 1 },
    ]);
    const converted = (v: Variation) => v.goals.find((g) => g.goal === 'g-buy')?.conversions ?? 0;
    const variations = await reportUntil((vs) => vs.some((v) => v.sessions === 1 && converted(v) === 1));
    const row = variations.find((v) => v.code === shown);
    assert.equal(row?.sessions, 1, JSON.stringify(variations));
    assert.equal(row ? converted(row) : 0, 1, JSON.stringify(variations));
    assert.equal(
      variations.reduce((n, v) => n + v.sessions, 0),
      1,
      'only this session was counted',
    );
  });

  test('a reload keeps the same session and variation, and counts nothing twice', async () => {
    const { page } = shopper;
    await page.reload();
    await page.waitForFunction(() => document.body.hasAttribute('data-session'));
    assert.equal(await page.locator('#variation').textContent(), shown);
    assert.equal(await page.locator('body').getAttribute('data-session'), session);
    await page.getByRole('button', { name: 'Buy' }).click();
    await page.waitForFunction(() => document.getElementById('rewarded')?.textContent !== '');
    assert.deepEqual(JSON.parse((await page.locator('#rewarded').textContent()) ?? ''), [
      { a: 'a-hero', v: 0 },
    ]);
    await new Promise((resolve) => setTimeout(resolve, 500));
    const variations = await heroReport();
    assert.equal(
      variations.reduce((n, v) => n + v.sessions, 0),
      1,
    );
    assert.deepEqual(shopper.problems, []);
  });

  test('after the key is deleted, the script is 404 and the page shows its default content without errors', async () => {
    const deleted = await server.t.call({
      method: 'DELETE',
      // The key was just used: the deletion names it as confirmation.
      url: `/admin/${acc}/api-keys/${keyId}?confirm=${encodeURIComponent('Shop pages')}`,
      as: { session: server.t.admin },
    });
    assert.equal(deleted.statusCode, 200, deleted.body);
    const res = await fetch(scriptUrl);
    assert.equal(res.status, 404);
    assert.equal(res.headers.get('content-type'), 'text/plain; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-store');
    assert.match(await res.text(), /^Not Found/);

    const { page } = shopper;
    shopper.problems.length = 0;
    // What became of the script request: its status, or why the browser dropped it (Chrome's
    // Opaque Response Blocking drops a cross-origin plain-text 404 before the page sees it).
    const outcomes: (number | string)[] = [];
    page.on('response', (response) => {
      if (response.url() === scriptUrl) outcomes.push(response.status());
    });
    page.on('requestfailed', (request) => {
      if (request.url() === scriptUrl) outcomes.push(request.failure()?.errorText ?? 'failed');
    });
    await page.reload();
    await page.locator('#buy').click();
    assert.equal(outcomes.length, 1, 'the browser asked for the script again (max-age=0)');
    assert.ok(outcomes[0] === 404 || outcomes[0] === 'net::ERR_BLOCKED_BY_ORB', String(outcomes[0]));
    assert.equal(await page.locator('#variation').textContent(), 'default');
    assert.equal(await page.locator('#headline').textContent(), 'Welcome to the shop');
    assert.equal(await page.locator('#rewarded').textContent(), '');
    // The browser reports the failed load itself; the page raised no error of its own.
    const pageErrors = shopper.problems.filter((p) => !/Failed to load resource: .* 404/.test(p));
    assert.deepEqual(pageErrors, []);
  });
});
