/**
 * /docs (Swagger UI) and every asset it loads answer under a Content-Security-Policy that allows
 * only this server's scripts, and may not be framed or sniffed. The page was also checked to
 * render under it in Chromium (every operation listed, no policy violation reported).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

function assertProtected(url: string, headers: Record<string, unknown>): void {
  const csp = String(headers['content-security-policy'] ?? '');
  assert.match(csp, /frame-ancestors 'none'/, url);
  assert.match(csp, /script-src 'self'(;|$)/, `${url}: only this server's scripts, none inline`);
  assert.match(csp, /default-src 'none'/, url);
  assert.equal(headers['x-frame-options'], 'DENY', url);
  assert.equal(headers['x-content-type-options'], 'nosniff', url);
}

test('/docs and its assets carry a CSP, frame protection and nosniff; the page loads only its own assets', async () => {
  const page = await t.call({ url: '/docs' });
  assert.equal(page.statusCode, 200);
  assert.match(String(page.headers['content-type']), /^text\/html/);
  assertProtected('/docs', page.headers);
  const scripts = [...page.body.matchAll(/<script\b([^>]*)>/g)].map((m) => m[1]);
  assert.ok(scripts.length > 0);
  for (const attributes of scripts) assert.match(attributes, /src="\/docs\//, 'no inline script');
  const assets = [...page.body.matchAll(/(?:src|href)="([^"]+)"/g)].map((m) => m[1]);
  assert.ok(assets.some((a) => a.endsWith('.css')));
  for (const asset of [...assets, '/docs/json']) {
    assert.ok(asset.startsWith('/docs/'), `${asset}: from this server`);
    const res = await t.call({ url: asset });
    assert.equal(res.statusCode, 200, asset);
    assertProtected(asset, res.headers);
  }
});
