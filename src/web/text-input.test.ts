import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { postForm } from '../../test/helpers/console.js';
import { expectError } from '../../test/helpers/expect.js';
import { fakeSnapshots } from '../../test/helpers/runtime.js';
import { findBadText } from './text-input.js';

describe('findBadText', () => {
  test('names the first value or name holding a NUL, or nothing', () => {
    assert.equal(findBadText('plain', 'body'), null);
    assert.equal(findBadText({ a: ['x', 1, null, { b: 'y' }] }, 'body'), null);
    assert.equal(findBadText('a\u0000', 'querystring'), 'querystring');
    assert.equal(findBadText({ commands: [{ a: 'ok' }, { a: 'b\u0000' }] }, 'body'), 'body.commands.1.a');
    assert.equal(findBadText({ inputs: { 'na\u0000me': 'v' } }, 'body'), 'body.inputs');
    assert.equal(findBadText({ session: 'x\ud800' }, 'body'), 'body.session', 'a lone surrogate');
    assert.equal(findBadText({ a: ['\udc00y'] }, 'body'), 'body.a.0');
    assert.equal(findBadText('an emoji 🙂 is two surrogates, paired', 'body'), null);
    assert.equal(
      findBadText(['ok', 'bad\u0000', 'also\u0000'], 'body'),
      'body.1',
      'the first in reading order',
    );
  });

  test('a body nested a hundred thousand deep is walked without overflowing the stack', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}"x\\u0000"${']'.repeat(100_000)}`);
    assert.match(findBadText(deep, 'body') ?? '', /^body(\.0)+$/);
    assert.equal(findBadText(JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`), 'body'), null);
  });
});

describe('malformed text (the NUL character, a lone surrogate) is refused everywhere with a 400 naming the field, before the store is read', () => {
  let t: TestApp;
  let acc: string;
  let rest: string;
  let js: string;
  let jsTarget: string;
  before(async () => {
    t = await createTestApp({ services: { snapshots: fakeSnapshots() } });
    acc = t.account.id;
    rest = (await t.key('rest')).secret;
    js = (await t.key('js')).secret;
    jsTarget = (await t.services.deployTargets.list(acc)).find((dt) => dt.kind === 'js')?.id as string;
  });
  after(() => t.close());

  test('runtime API: session, traits, deploy target in the path, commands, inputs', async () => {
    const runtime = (query: string, body: unknown = { commands: [{ a: 'a-example' }] }, path = '') =>
      t.call({ method: 'POST', url: `/${acc}/v3/agent-api${path}?apikey=${rest}${query}`, body });
    expectError(await runtime('&session=a%00b'), 400, 'invalid_input', 'querystring.session');
    expectError(await runtime('&traits=F:%00'), 400, 'invalid_input', 'querystring.traits');
    expectError(await runtime('', undefined, '/dt-%00'), 400, 'invalid_input', 'params.dt');
    expectError(await runtime('', [{ a: 'a-\u0000' }]), 400, 'invalid_input', 'body.commands.0.a');
    expectError(
      await runtime('', { commands: [], inputs: { page: 'x\u0000' } }),
      400,
      'invalid_input',
      'body.inputs.page',
    );
    // And the same request without the NUL is served.
    assert.equal((await runtime('&session=ab')).statusCode, 200);
  });

  test('a deep body on a route that has no body schema is no 500', async () => {
    const { secret } = await t.key('admin-author');
    const res = await t.call({
      method: 'DELETE',
      url: `/admin/${acc}/agents/a-nothing`,
      as: { key: secret },
      body: `${'['.repeat(100_000)}${']'.repeat(100_000)}`,
      headers: { 'content-type': 'application/json' },
    });
    assert.ok(res.statusCode < 500, `${res.statusCode} ${res.body}`);
  });

  test('a session with a lone surrogate is refused, so its reward cannot miss its selection', async () => {
    const res = await t.call({
      method: 'POST',
      url: `/${acc}/v3/agent-api/js/${jsTarget}/events?apikey=${js}`,
      body: '{"session":"x\\ud800","events":[{"a":"a-example","c":"A"}]}',
      headers: { 'content-type': 'application/json' },
    });
    expectError(res, 400, 'invalid_input', 'body.session');
  });

  test('device events: a session with a NUL is 400, and the beacons beside it are counted', async () => {
    const beacon = (session: string) =>
      t.call({
        method: 'POST',
        url: `/${acc}/v3/agent-api/js/${jsTarget}/events?apikey=${js}`,
        body: { session, events: [{ a: 'a-example', c: 'A' }] },
      });
    const [bad, ...good] = await Promise.all([
      beacon('bad\u0000session'),
      ...Array.from({ length: 5 }, (_, i) => beacon(`good-${i}`)),
    ]);
    expectError(bad, 400, 'invalid_input', 'body.session');
    assert.deepEqual(
      good.map((res) => res.statusCode),
      [200, 200, 200, 200, 200],
    );
  });

  test('Admin API and sign-in: names, ids in the path, emails', async () => {
    const admin = { session: t.admin };
    expectError(
      await t.call({
        method: 'POST',
        url: `/admin/${acc}/api-keys`,
        as: admin,
        body: { kind: 'rest', name: 'a\u0000b' },
      }),
      400,
      'invalid_input',
      'body.name',
    );
    expectError(
      await t.call({ url: `/admin/${acc}/api-keys/key-abc%00`, as: admin }),
      400,
      'invalid_input',
      'params.id',
    );
    expectError(
      await t.call({ url: `/admin/${acc}/audit?actor=a%00`, as: admin }),
      400,
      'invalid_input',
      'querystring.actor',
    );
    expectError(
      await t.call({
        method: 'POST',
        url: '/auth/login',
        body: { email: 'a\u0000@example.com', password: 'whatever-it-is' },
      }),
      400,
      'invalid_input',
      'body.email',
    );
  });

  test('the script tag answers in plain text, the console with its message', async () => {
    const script = await t.call({ url: `/${acc}/v3/agent-api/js/${jsTarget}%00?apikey=${js}` });
    assert.equal(script.statusCode, 400);
    assert.match(script.body, /^Bad Request: must be text without the NUL character/);
    const form = await postForm(
      t,
      `/console/${acc}/settings/api-keys`,
      { kind: 'rest', name: 'a\u0000b' },
      { as: t.admin },
    );
    assert.ok(form.statusCode >= 400 && form.statusCode < 500, `${form.statusCode} ${form.body}`);
    assert.match(form.body, /must be text without the NUL character/);
    assert.equal(
      (await t.services.keys.listKeys(acc)).some((key) => key.name.includes('\u0000')),
      false,
    );
  });
});
