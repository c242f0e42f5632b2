import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectError } from '../../../test/helpers/expect.js';
import { fakeSnapshots } from '../../../test/helpers/runtime.js';
import { mistype } from '../../../test/helpers/security.js';
import { generateToken, hashToken } from '../../keys/token.js';

let t: TestApp;
let acc: string;
let jsTarget: string;
let restTarget: string;
let key: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  const targets = await t.services.deployTargets.list(acc);
  jsTarget = targets.find((d) => d.kind === 'js')?.id as string;
  restTarget = targets.find((d) => d.kind === 'rest')?.id as string;
  key = (await t.key('js')).secret;
});
after(() => t.close());

const scriptUrl = (k: string, dt = jsTarget) =>
  `/${acc}/v3/agent-api/js/${dt}?apikey=${encodeURIComponent(k)}`;
/** The path Conductrics tags are pasted with. */
const pastedUrl = (k: string, dt = jsTarget) =>
  `/${acc}/v3/agent-api/js/f-tag1/${dt}?apikey=${encodeURIComponent(k)}`;
const bundleUrl = (k: string, dt = jsTarget) =>
  `/${acc}/v3/agent-api/bundle/${dt}?apikey=${encodeURIComponent(k)}`;
const eventsUrl = (k = key) => `/${acc}/v3/agent-api/js/${jsTarget}/events?apikey=${encodeURIComponent(k)}`;

/** A short plain-text refusal that no cache keeps. */
function expectPlain(res: LightMyRequestResponse, status: number, text: RegExp): void {
  assert.equal(res.statusCode, status, res.body);
  assert.equal(res.headers['content-type'], 'text/plain; charset=utf-8');
  assert.equal(res.headers['cache-control'], 'no-store');
  assert.equal(res.headers.etag, undefined);
  assert.match(res.body, text);
  assert.ok(res.body.length < 200, 'short');
}

describe('script tag and bundle: refused keys answer short plain text, never cached', () => {
  test('a deleted key is 404 Not Found from the very next request', async () => {
    const doomed = await t.key('js');
    const urls = [scriptUrl(doomed.secret), pastedUrl(doomed.secret), bundleUrl(doomed.secret)];
    for (const url of urls) {
      assert.equal((await t.call({ url })).statusCode, 200);
    }
    await t.services.keys.deleteKey(acc, doomed.id, 'test');
    for (const url of urls) {
      expectPlain(await t.call({ url }), 404, /^Not Found: The API key has been deleted/);
    }
  });

  test('an unknown, mistyped or expired key is 404 too', async () => {
    for (const url of [scriptUrl(generateToken('js')), bundleUrl(generateToken('js'))]) {
      expectPlain(await t.call({ url }), 404, /^Not Found: The API key is not known/);
    }
    expectPlain(await t.call({ url: scriptUrl(mistype(key)) }), 404, /^Not Found: .*well-formed/);
    expectPlain(await t.call({ url: scriptUrl('nonsense') }), 404, /^Not Found/);
    const expiring = await t.key('js');
    await t.services.store.db
      .updateTable('api_keys')
      .set({ expires_at: Date.now() - 1 })
      .where('id', '=', expiring.id)
      .execute();
    t.services.changes.publish({
      type: 'api-key',
      accountId: acc,
      keyId: expiring.id,
      secretHash: hashToken(expiring.secret),
    });
    expectPlain(
      await t.call({ url: bundleUrl(expiring.secret) }),
      404,
      /^Not Found: The API key has expired/,
    );
  });

  test('a key of the wrong kind is 403 Not Authorized', async () => {
    for (const kind of ['rest', 'admin-read', 'admin-author'] as const) {
      const other = (await t.key(kind)).secret;
      expectPlain(
        await t.call({ url: scriptUrl(other) }),
        403,
        /^Not Authorized: .*JavaScript \/ On-Device key/,
      );
      expectPlain(await t.call({ url: bundleUrl(other) }), 403, /^Not Authorized/);
    }
  });

  test('another account, another JS target than the key is associated with: 403; no key: 401', async () => {
    const other = await t.services.accounts.create('Other');
    const foreign = (await t.key('js', { accountId: other.id })).secret;
    expectPlain(await t.call({ url: scriptUrl(foreign) }), 403, /another account/);
    const second = await t.services.deployTargets.create(acc, {
      name: 'Second JS',
      kind: 'js',
      deployMode: 'automatic',
    });
    const bound = (await t.key('js', { deployTargets: [second.id] })).secret;
    expectPlain(await t.call({ url: scriptUrl(bound) }), 403, /not associated with deploy target/);
    assert.equal((await t.call({ url: scriptUrl(bound, second.id) })).statusCode, 200);
    expectPlain(await t.call({ url: `/${acc}/v3/agent-api/js/${jsTarget}` }), 401, /needs a credential/);
  });

  test('a target that is not a JS target of this account is 404', async () => {
    expectPlain(await t.call({ url: scriptUrl(key, restTarget) }), 404, /^Not Found/);
    expectPlain(await t.call({ url: bundleUrl(key, 'dt-missing0') }), 404, /^Not Found/);
    expectPlain(await t.call({ url: pastedUrl(key, 'dt-missing0') }), 404, /^Not Found/);
  });

  test('a malformed request is a plain-text 400', async () => {
    expectPlain(await t.call({ url: `${scriptUrl(key)}&apikey=${key}` }), 400, /^Bad Request: querystring/);
    // a pasted path whose file segment is not `f-…`
    expectPlain(
      await t.call({ url: `/${acc}/v3/agent-api/js/x-tag1/${jsTarget}?apikey=${key}` }),
      400,
      /^Bad Request: params\/file must be f-/,
    );
  });
});

describe('refusals are readable by the page that asked (CORS), so it tells them from network failures', () => {
  const origin = 'https://shop.example';

  test('events with a deleted key: 403 key_deleted, with Access-Control-Allow-Origin', async () => {
    const doomed = await t.key('js');
    await t.services.keys.deleteKey(acc, doomed.id, 'test');
    const res = await t.call({
      method: 'POST',
      url: eventsUrl(doomed.secret),
      headers: { origin, 'content-type': 'text/plain' },
      body: JSON.stringify({ session: 's-1', events: [] }),
    });
    expectError(res, 403, 'key_deleted');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('events without a key, or with bad input: readable too', async () => {
    const missing = await t.call({
      method: 'POST',
      url: `/${acc}/v3/agent-api/js/${jsTarget}/events`,
      headers: { origin },
      body: { session: 's-1', events: [] },
    });
    expectError(missing, 401, 'credential_missing');
    assert.equal(missing.headers['access-control-allow-origin'], '*');
    const bad = await t.call({ method: 'POST', url: eventsUrl(), headers: { origin }, body: { events: [] } });
    expectError(bad, 400, 'invalid_input', 'body.session');
    assert.equal(bad.headers['access-control-allow-origin'], '*');
  });

  test("the script's and the bundle's 404 for a deleted key carry Access-Control-Allow-Origin", async () => {
    const doomed = await t.key('js');
    await t.services.keys.deleteKey(acc, doomed.id, 'test');
    for (const url of [scriptUrl(doomed.secret), pastedUrl(doomed.secret), bundleUrl(doomed.secret)]) {
      const res = await t.call({ url, headers: { origin } });
      expectPlain(res, 404, /^Not Found/);
      assert.equal(res.headers['access-control-allow-origin'], '*');
    }
  });
});

describe('browser events: bad input is 400 naming the field', () => {
  const post = (body: unknown, headers: Record<string, string> = {}) =>
    t.call({ method: 'POST', url: eventsUrl(), body, headers });

  test('the session', async () => {
    expectError(await post({ events: [] }), 400, 'invalid_input', 'body.session');
    expectError(await post({ session: '', events: [] }), 400, 'invalid_input', 'body.session');
    expectError(await post({ session: 'x'.repeat(257), events: [] }), 400, 'invalid_input', 'body.session');
    expectError(await post({ session: 7, events: [] }), 400, 'invalid_input', 'body.session');
  });

  test('the events', async () => {
    expectError(await post({ session: 's' }), 400, 'invalid_input', 'body.events');
    expectError(await post({ session: 's', events: {} }), 400, 'invalid_input', 'body.events');
    expectError(await post({ session: 's', events: [{ c: 'A' }] }), 400, 'invalid_input', 'body.events.0.a');
    expectError(
      await post({ session: 's', events: [{ a: 'a-x', c: 'A' }, { a: 'a-x' }] }),
      400,
      'invalid_input',
      'body.events.1.c',
    );
    expectError(
      await post({ session: 's', events: [{ g: 'g-x', a: 'a-x', c: 'A', v: '5' }] }),
      400,
      'invalid_input',
      'body.events.0.v',
    );
    // The JS key is public: a value that would break the report's sums is refused at the door.
    expectError(
      await post({ session: 's', events: [{ g: 'g-x', a: 'a-x', c: 'A', v: 1e200 }] }),
      400,
      'invalid_input',
      'body.events.0.v',
    );
    const many = Array.from({ length: 1001 }, () => ({ a: 'a-x', c: 'A' }));
    expectError(await post({ session: 's', events: many }), 400, 'invalid_input', 'body.events');
  });

  test('a body that is not JSON, as text/plain or JSON', async () => {
    expectError(
      await post('{"session": "s",', { 'content-type': 'text/plain' }),
      400,
      'invalid_request',
      'body',
    );
    expectError(
      await post('{"session"', { 'content-type': 'application/json' }),
      400,
      'invalid_request',
      'body',
    );
    expectError(await post(undefined), 400, 'invalid_input', 'body');
  });

  test('a refused key is refused in JSON, like every API', async () => {
    const res = await t.call({
      method: 'POST',
      url: eventsUrl(generateToken('js')),
      body: { session: 's', events: [] },
    });
    assert.ok([403, 404].includes(res.statusCode), res.body);
    assert.equal(res.json().code, 'key_unknown');
    const rest = (await t.key('rest')).secret;
    expectError(
      await t.call({ method: 'POST', url: eventsUrl(rest), body: { session: 's', events: [] } }),
      403,
      'wrong_key_kind',
    );
  });
});

describe('when the store cannot answer', () => {
  test('the script and bundle are a plain-text 503, events a JSON 503, none of them cached', async () => {
    const snapshots = fakeSnapshots();
    snapshots.get = async () => {
      throw new Error('connection lost');
    };
    const broken = await createTestApp({ services: { snapshots } });
    try {
      const target = (await broken.services.deployTargets.list(broken.account.id)).find(
        (d) => d.kind === 'js',
      );
      const k = (await broken.key('js')).secret;
      const base = `/${broken.account.id}/v3/agent-api`;
      for (const url of [
        `${base}/js/${target?.id}?apikey=${k}`,
        `${base}/bundle/${target?.id}?apikey=${k}`,
      ]) {
        const res = await broken.call({ url });
        expectPlain(res, 503, /^Service Unavailable/);
        assert.equal(res.headers['retry-after'], '1');
      }
      const res = await broken.call({
        method: 'POST',
        url: `${base}/js/${target?.id}/events?apikey=${k}`,
        body: { session: 's', events: [{ a: 'a-example', c: 'A' }] },
      });
      expectError(res, 503, 'store_unavailable');
      assert.equal(res.headers['retry-after'], '1');
      assert.equal(res.headers['cache-control'], 'no-store');
    } finally {
      await broken.close();
    }
  });
});
