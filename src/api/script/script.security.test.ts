import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectError } from '../../../test/helpers/expect.js';
import { type RouteContext, securitySuite } from '../../../test/helpers/security.js';

async function jsTargetOf(ctx: RouteContext): Promise<string> {
  const targets = await ctx.t.services.deployTargets.list(ctx.principals.accountId);
  return targets.find((d) => d.kind === 'js')?.id as string;
}

securitySuite('script tag and on-device', [
  {
    method: 'GET',
    path: '/:acc/v3/agent-api/js/:dt',
    permission: 'script',
    params: { dt: jsTargetOf },
    ok: 200,
  },
  {
    // the path Conductrics tags are pasted with
    method: 'GET',
    path: '/:acc/v3/agent-api/js/:file/:dt',
    permission: 'script',
    params: { file: () => 'f-a1B2c3', dt: jsTargetOf },
    ok: 200,
  },
  {
    method: 'GET',
    path: '/:acc/v3/agent-api/bundle/:dt',
    permission: 'script',
    params: { dt: jsTargetOf },
    ok: 200,
  },
  {
    method: 'POST',
    path: '/:acc/v3/agent-api/js/:dt/events',
    permission: 'script',
    params: { dt: jsTargetOf },
    body: () => ({ session: 'security', events: [] }),
    ok: 200,
  },
]);

let t: TestApp;
let acc: string;
let jsTarget: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  await t.services.agents.put(acc, 'a-hero', {
    variations: [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 1 },
    ],
  });
  jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id as string;
});
after(() => t.close());

async function limitedKey(origins: string[]) {
  const { key, secret } = await t.services.keys.createKey(
    acc,
    { kind: 'js', name: 'limited', allowedOrigins: origins },
    'test',
  );
  return { id: key.id, secret, events: `/${acc}/v3/agent-api/js/${jsTarget}/events?apikey=${secret}` };
}

async function sessionsOfHero(): Promise<number> {
  const res = await t.call({ url: `/admin/${acc}/reports/decision-stats/a-hero`, as: { session: t.admin } });
  return (res.json().data.variations as { sessions: number }[]).reduce((n, v) => n + v.sessions, 0);
}

const beacon = (url: string, origin: string | undefined, session: string) =>
  t.call({
    method: 'POST',
    url,
    headers: { 'content-type': 'text/plain', ...(origin ? { origin } : {}) },
    body: JSON.stringify({ session, events: [{ a: 'a-hero', c: 'A' }] }),
  });

describe('browser events: allowed origins', () => {
  test('an origin the key does not allow is refused, preflight included, and nothing is counted', async () => {
    const { events } = await limitedKey(['https://shop.example']);
    const before = await sessionsOfHero();
    for (const origin of [
      'https://evil.example',
      'http://shop.example',
      'https://shop.example.evil.example',
      'null',
    ]) {
      const res = await beacon(events, origin, `refused-${origin}`);
      expectError(res, 403, 'origin_not_allowed');
      // The refusal itself is readable, so the page drops the events rather than retrying them;
      // its preflight (below) stays unreadable: no request beyond a beacon's can follow.
      assert.equal(res.headers['access-control-allow-origin'], '*', 'the refusal is readable');
      const preflight = await t.call({
        method: 'OPTIONS',
        url: events,
        headers: { origin, 'access-control-request-method': 'POST' },
      });
      expectError(preflight, 403, 'origin_not_allowed');
      assert.equal(preflight.headers['access-control-allow-origin'], undefined);
    }
    assert.equal(await sessionsOfHero(), before);
  });

  test('the allowed origin is answered with its own CORS grant and counted', async () => {
    const { events } = await limitedKey(['https://shop.example', 'http://localhost:3000']);
    const before = await sessionsOfHero();
    for (const origin of ['https://shop.example', 'http://localhost:3000']) {
      const res = await beacon(events, origin, `allowed-${origin}`);
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['access-control-allow-origin'], origin);
      assert.equal(res.headers.vary, 'Origin');
    }
    assert.equal(await sessionsOfHero(), before + 2);
  });

  test('a request without Origin (a native app, a server) is not restricted by it', async () => {
    const { events } = await limitedKey(['https://shop.example']);
    const res = await beacon(events, undefined, 'native-1');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['access-control-allow-origin'], undefined);
  });

  test('a key without allowed origins allows any origin', async () => {
    const { events } = await limitedKey([]);
    const res = await beacon(events, 'https://anywhere.example', 'any-1');
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['access-control-allow-origin'], '*');
  });

  test('a change of allowed origins applies on the very next request', async () => {
    const limited = await limitedKey(['https://shop.example']);
    expectError(await beacon(limited.events, 'https://new.example', 'change-1'), 403, 'origin_not_allowed');
    await t.services.keys.updateKey(acc, limited.id, { allowedOrigins: ['https://new.example'] });
    assert.equal((await beacon(limited.events, 'https://new.example', 'change-2')).statusCode, 200);
    expectError(await beacon(limited.events, 'https://shop.example', 'change-3'), 403, 'origin_not_allowed');
  });

  test('the script and the bundle stay public: any origin may load them', async () => {
    const { secret } = await limitedKey(['https://shop.example']);
    for (const kind of ['js', 'bundle']) {
      const res = await t.call({
        url: `/${acc}/v3/agent-api/${kind}/${jsTarget}?apikey=${secret}`,
        headers: { origin: 'https://elsewhere.example' },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.equal(res.headers['access-control-allow-origin'], '*');
    }
  });
});

describe('the script tag carries only its own key', () => {
  test('the key it was loaded with, and no other key or secret', async () => {
    const a = await t.key('js', { name: 'page A' });
    const b = await t.key('js', { name: 'page B' });
    const rest = await t.key('rest');
    const res = await t.call({ url: `/${acc}/v3/agent-api/js/${jsTarget}?apikey=${a.secret}` });
    assert.ok(res.body.includes(a.secret));
    assert.equal(res.body.includes(b.secret), false);
    assert.equal(res.body.includes(rest.secret), false);
    const other = await t.call({ url: `/${acc}/v3/agent-api/js/${jsTarget}?apikey=${b.secret}` });
    assert.ok(other.body.includes(b.secret));
    assert.equal(other.body.includes(a.secret), false, 'a cached script of another key is not served');
  });

  test('a session cookie is no credential on these routes, even an Account Admin', async () => {
    for (const url of [`/${acc}/v3/agent-api/js/${jsTarget}`, `/${acc}/v3/agent-api/bundle/${jsTarget}`]) {
      const res = await t.call({ url, as: { session: t.admin } });
      assert.equal(res.statusCode, 401);
      assert.equal(res.headers['cache-control'], 'no-store');
    }
  });
});
