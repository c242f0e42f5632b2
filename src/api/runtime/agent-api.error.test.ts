import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectError } from '../../../test/helpers/expect.js';
import { fakeSnapshots } from '../../../test/helpers/runtime.js';

describe('Runtime API: bad input is 400 naming the field', () => {
  let t: TestApp;
  let url: string;
  before(async () => {
    t = await createTestApp({ services: { snapshots: fakeSnapshots() } });
    const { secret } = await t.key('rest');
    url = `/${t.account.id}/v3/agent-api?apikey=${secret}`;
  });
  after(() => t.close());

  const post = (body: unknown, query = '', headers: Record<string, string> = {}) =>
    t.call({ method: 'POST', url: url + query, body, headers });

  for (const [name, body, field] of [
    ['an agent code that is not a string', { commands: [{ a: 5 }] }, 'body.commands.0.a'],
    ['an empty agent code', { commands: [{ a: '' }] }, 'body.commands.0.a'],
    [
      'a command that is neither selection nor reward',
      { commands: [{ a: 'a-example' }, { x: ['A'] }] },
      'body.commands.1',
    ],
    ['a status other than p or ok', { commands: [{ a: 'a-example', s: 'maybe' }] }, 'body.commands.0.s'],
    [
      'allowed variations that are not a list',
      { commands: [{ a: 'a-example', c: 'A' }] },
      'body.commands.0.c',
    ],
    ['a reward value that is not a number', { commands: [{ g: 'g-example', v: '5' }] }, 'body.commands.0.v'],
    ['a reward value over a billion', { commands: [{ g: 'g-example', v: 1e200 }] }, 'body.commands.0.v'],
    ['a bare array with a bad command', [{ g: 7 }], 'body.commands.0.g'],
    ['commands that are not a list', { commands: { a: 'a-example' } }, 'body.commands'],
    ['an input that is an object', { commands: [], inputs: { foo: { bar: 1 } } }, 'body.inputs.foo'],
    [
      'more than 100 commands',
      { commands: Array.from({ length: 101 }, () => ({ a: 'a-example' })) },
      'body.commands',
    ],
  ] as const) {
    test(name, async () => {
      expectError(await post(body), 400, 'invalid_input', field);
    });
  }

  test('a session longer than 256 characters', async () => {
    expectError(
      await post({ commands: [] }, `&session=${'s'.repeat(257)}`),
      400,
      'invalid_input',
      'querystring.session',
    );
    const ok = await post({ commands: [] }, `&session=${'s'.repeat(256)}`);
    assert.equal(ok.statusCode, 200, ok.body);
  });

  test('text/plain or application/json that is not JSON: 400 saying so, whatever the content type', async () => {
    for (const type of ['text/plain', 'application/json']) {
      const res = await post('{"commands": [', '', { 'content-type': type });
      expectError(res, 400, 'invalid_request', 'body');
      assert.equal(res.json().err, 'body: not valid JSON', type);
    }
  });

  test('an empty body is no body, whatever its label: no command runs', async () => {
    for (const type of [
      'text/plain',
      'application/json',
      'application/x-www-form-urlencoded',
      'application/octet-stream',
    ]) {
      const res = await post('', '&traits=F:1', { 'content-type': type });
      assert.equal(res.statusCode, 200, `${type}: ${res.body}`);
      assert.deepEqual(res.json().data.items, []);
      assert.deepEqual(res.json().data.traits, ['cust/F:1']);
    }
  });

  test('a prototype-poisoning body is refused, not merged', async () => {
    const res = await post('{"commands": [], "__proto__": {"polluted": true}}', '', {
      'content-type': 'application/json',
    });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('a body in another format is 415, naming the type', async () => {
    const res = await post('a=b', '', { 'content-type': 'application/x-www-form-urlencoded' });
    expectError(res, 415, 'unsupported_media_type');
    assert.match(res.json().err, /application\/x-www-form-urlencoded; send application\/json/);
  });

  test('traits given as several parameters are all applied, as one list would be', async () => {
    const res = await post([], '&session=several&traits=F:1&traits=G:2,H:3');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().data.traits, ['cust/F:1', 'cust/G:2', 'cust/H:3']);
  });

  test('no body at all runs no command', async () => {
    const res = await t.call({ method: 'POST', url: `${url}&session=nobody&traits=F:1` });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().data.items, []);
    assert.deepEqual(res.json().data.traits, ['cust/F:1']);
  });
});

describe('Runtime API: a store that cannot record answers 503, never a false 200', () => {
  let t: TestApp;
  let url: string;
  before(async () => {
    t = await createTestApp({ services: { snapshots: fakeSnapshots() } });
    const { secret } = await t.key('rest');
    url = `/${t.account.id}/v3/agent-api?apikey=${secret}`;
    // A session stored before the server first answered: its state is read from the store.
    await t.services.store.db
      .insertInto('visitors')
      .values({
        account_id: t.account.id,
        session: 'unreadable',
        state: '{"traits":["cust/F:1"]}',
        updated_at: 1,
      })
      .execute();
    const warm = await t.call({
      method: 'POST',
      url: `${url}&session=warm`,
      body: { commands: [{ a: 'a-example' }] },
    });
    assert.equal(warm.statusCode, 200, warm.body);
  });
  after(() => t.close());

  test('a reward that cannot be committed is 503 with Retry-After, and is not remembered as given', async () => {
    await sql`alter table reward_events rename to reward_events_moved`.execute(t.services.store.db);
    try {
      const body = { commands: [{ g: 'g-example' }] };
      const failed = await t.call({ method: 'POST', url: `${url}&session=warm`, body });
      expectError(failed, 503, 'store_unavailable');
      assert.equal(failed.headers['retry-after'], '1');
      // The next try is not told "already rewarded": nothing was acknowledged.
      const again = await t.call({ method: 'POST', url: `${url}&session=warm`, body });
      expectError(again, 503, 'store_unavailable');
    } finally {
      await sql`alter table reward_events_moved rename to reward_events`.execute(t.services.store.db);
    }
    const recovered = await t.call({
      method: 'POST',
      url: `${url}&session=warm`,
      body: { commands: [{ g: 'g-example' }] },
    });
    assert.equal(recovered.statusCode, 200, recovered.body);
    assert.deepEqual(recovered.json().data.items, [{ g: 'g-example', rs: [{ a: 'a-example', v: 1 }] }]);
  });

  test('a visitor state that cannot be read is 503', async () => {
    await sql`alter table visitors rename to visitors_moved`.execute(t.services.store.db);
    try {
      expectError(
        await t.call({ method: 'POST', url: `${url}&session=unreadable`, body: { commands: [] } }),
        503,
        'store_unavailable',
      );
    } finally {
      await sql`alter table visitors_moved rename to visitors`.execute(t.services.store.db);
    }
  });

  test('a session a SQLite file certainly does not hold is answered without reading it', async (c) => {
    if (!t.services.store.sqlite) return c.skip('SQLite only: PostgreSQL, shared by servers, is always read');
    await sql`alter table visitors rename to visitors_moved`.execute(t.services.store.db);
    try {
      const res = await t.call({
        method: 'POST',
        url: `${url}&session=never-stored`,
        body: { commands: [] },
      });
      assert.equal(res.statusCode, 200, res.body);
      assert.deepEqual(res.json().data.items, []);
    } finally {
      await sql`alter table visitors_moved rename to visitors`.execute(t.services.store.db);
    }
  });
});
