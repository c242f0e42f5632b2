/**
 * Visitor storage in a real browser: pages on two subdomains of one site (a.tessera.test and
 * b.tessera.test, both mapped to 127.0.0.1 by chromium's host resolver rules) load the script tag
 * of one JS target. With cookie storage on the parent domain, the visitor's selection made on a.
 * is held on b. (same session, same variation, policy `s`); with localStorage, each host name
 * has a visitor of its own.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { type BrowserServer, browserSkipReason, launchBrowser, startServer } from './helpers/browser.js';

const skip = browserSkipReason();
if (skip) console.log(`# skipping browser tests: ${skip}`);

interface Seen {
  session: string;
  variation: string;
  policy: string;
}

describe('visitor storage across subdomains, in a browser', { skip }, () => {
  let server: BrowserServer;
  let pages: Server;
  let port: number;
  let browser: Browser;
  let acc: string;
  let jsTarget: string;
  let html = '';

  before(async () => {
    server = await startServer();
    const { t } = server;
    acc = t.account.id;
    // four variations: two visitors of their own agree on one by chance only one time in four
    await t.services.agents.put(acc, 'a-hero', {
      variations: ['A', 'B', 'C', 'D'].map((code) => ({ code, weight: 1 })),
    });
    jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id as string;
    const scriptUrl = `${server.baseURL}/${acc}/v3/agent-api/js/${jsTarget}?apikey=${(await t.key('js')).secret}`;
    html = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Shop</title><script src="${scriptUrl}"></script></head>
<body>
  <script>
    new Tessera.ClientApi().exec([{ a: 'a-hero' }], function (err, res) {
      if (err || !res.items[0]) return;
      document.body.dataset.seen = JSON.stringify({ session: res.session, variation: res.items[0].c, policy: res.items[0].p });
    });
  </script>
</body>
</html>`;
    pages = createServer((request, response) => {
      if (request.url !== '/') {
        response.writeHead(request.url === '/favicon.ico' ? 204 : 404).end();
        return;
      }
      response.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(html);
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    port = (pages.address() as AddressInfo).port;
    browser = await launchBrowser(['--host-resolver-rules=MAP *.tessera.test 127.0.0.1']);
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => pages?.close(resolve));
    await server?.close();
  });

  async function setStorage(body: Record<string, unknown>): Promise<void> {
    const res = await server.t.call({
      method: 'PATCH',
      url: `/admin/${acc}/deploy-targets/${jsTarget}`,
      as: { session: server.t.admin },
      body,
    });
    assert.equal(res.statusCode, 200, res.body);
  }

  /** One visitor (one browser context, one cookie jar) on a. then on b. */
  async function visitBoth(): Promise<{ a: Seen; b: Seen; cookies: { name: string; domain: string }[] }> {
    // a context of its own (not openPage's: clipboard permissions cannot be granted to http pages)
    const context = await browser.newContext();
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (error) => problems.push(error.message));
    const seen: Seen[] = [];
    for (const host of ['a', 'b']) {
      await page.goto(`http://${host}.tessera.test:${port}/`);
      await page.waitForFunction(() => document.body.dataset.seen !== undefined, undefined, {
        timeout: 10_000,
      });
      seen.push(JSON.parse((await page.evaluate(() => document.body.dataset.seen)) ?? '{}') as Seen);
    }
    const cookies = await context.cookies();
    assert.deepEqual(problems, []);
    await context.close();
    return { a: seen[0] as Seen, b: seen[1] as Seen, cookies };
  }

  test('cookie storage on the parent domain: the selection made on a. is held on b.', async () => {
    await setStorage({ visitorStorage: 'cookie', cookieDomain: 'tessera.test' });
    for (let visitor = 0; visitor < 3; visitor++) {
      const { a, b, cookies } = await visitBoth();
      assert.equal(a.policy, 'r', 'a new visitor: a random selection');
      assert.equal(b.session, a.session, 'the same visitor');
      assert.equal(b.variation, a.variation, 'the same variation');
      assert.equal(b.policy, 's', 'held: sticky');
      assert.deepEqual(
        cookies.map((c) => [c.name, c.domain]),
        [[`tessera_${acc}`, '.tessera.test']],
      );
    }
  });

  test('localStorage: each host name has a visitor of its own', async () => {
    await setStorage({ visitorStorage: 'localStorage' });
    for (let visitor = 0; visitor < 3; visitor++) {
      const { a, b, cookies } = await visitBoth();
      assert.notEqual(b.session, a.session, 'another visitor on b.');
      assert.equal(b.policy, 'r', 'selected afresh on b.');
      assert.deepEqual(cookies, [], 'no cookie');
    }
  });
});
