import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectData, expectError } from '../../../test/helpers/expect.js';

let t: TestApp;
let keysUrl: string;
let restTarget: string;
let jsTarget: string;
let otherAccountTarget: string;

before(async () => {
  t = await createTestApp();
  keysUrl = `/admin/${t.account.id}/api-keys`;
  const targets = await t.services.deployTargets.list(t.account.id);
  restTarget = targets.find((dt) => dt.kind === 'rest')?.id ?? '';
  jsTarget = targets.find((dt) => dt.kind === 'js')?.id ?? '';
  const other = await t.services.accounts.create('Other');
  otherAccountTarget = (await t.services.deployTargets.list(other.id))[0].id;
});
after(() => t.close());

const post = (body: unknown, headers?: Record<string, string>) =>
  t.call({ method: 'POST', url: keysUrl, as: { session: t.admin }, body, headers });

describe('API keys: bad input is 400 naming the field', () => {
  test('no body, or a body that is not JSON', async () => {
    expectError(await post(undefined), 400, 'invalid_input', 'body');
    expectError(
      await post('{"kind": "rest",', { 'content-type': 'application/json' }),
      400,
      'invalid_request',
      'body',
    );
    expectError(await post('[]', { 'content-type': 'application/json' }), 400, 'invalid_input', 'body');
  });

  test('kind', async () => {
    expectError(await post({ name: 'x' }), 400, 'invalid_input', 'body.kind');
    expectError(await post({ kind: 'master', name: 'x' }), 400, 'invalid_input', 'body.kind');
    expectError(await post({ kind: ['rest'], name: 'x' }), 400, 'invalid_input', 'body.kind');
  });

  test('name', async () => {
    expectError(await post({ kind: 'rest' }), 400, 'invalid_input', 'body.name');
    expectError(await post({ kind: 'rest', name: '' }), 400, 'invalid_input', 'body.name');
    expectError(await post({ kind: 'rest', name: '   ' }), 400, 'invalid_input', 'body.name');
    expectError(await post({ kind: 'rest', name: 'x'.repeat(101) }), 400, 'invalid_input', 'body.name');
    expectError(await post({ kind: 'rest', name: 42 }), 400, 'invalid_input', 'body.name');
  });

  test('deployTargets: shape', async () => {
    expectError(
      await post({ kind: 'rest', name: 'x', deployTargets: restTarget }),
      400,
      'invalid_input',
      'body.deployTargets',
    );
    expectError(
      await post({ kind: 'rest', name: 'x', deployTargets: [7] }),
      400,
      'invalid_input',
      'body.deployTargets.0',
    );
    const many = Array.from({ length: 101 }, (_, i) => `dt-${i}`);
    expectError(
      await post({ kind: 'rest', name: 'x', deployTargets: many }),
      400,
      'invalid_input',
      'body.deployTargets',
    );
  });

  test('deployTargets: only existing targets of this account and of the key kind', async () => {
    const cases: Array<[string, string[]]> = [
      ['rest', ['dt-nothere']],
      ['rest', [jsTarget]],
      ['js', [restTarget]],
      ['rest', [otherAccountTarget]],
      ['admin-read', [restTarget]],
      ['admin-author', [jsTarget]],
    ];
    for (const [kind, deployTargets] of cases) {
      const body = expectError(
        await post({ kind, name: 'x', deployTargets }),
        400,
        'invalid_input',
        'body.deployTargets',
      );
      assert.ok(body.err.length > 20, body.err);
    }
    // nothing was created by the refused requests
    assert.deepEqual(expectData<unknown[]>(await t.call({ url: keysUrl, as: { session: t.admin } })), []);
  });

  test('expiresAt', async () => {
    expectError(
      await post({ kind: 'rest', name: 'x', expiresAt: 'tomorrow' }),
      400,
      'invalid_input',
      'body.expiresAt',
    );
    expectError(
      await post({ kind: 'rest', name: 'x', expiresAt: 1_900_000_000_000 }),
      400,
      'invalid_input',
      'body.expiresAt',
    );
    const past = new Date(Date.now() - 60_000).toISOString();
    expectError(
      await post({ kind: 'rest', name: 'x', expiresAt: past }),
      400,
      'invalid_input',
      'body.expiresAt',
    );
  });

  test('PATCH checks the same fields', async () => {
    const key = await t.key('rest');
    const patch = (body: unknown) =>
      t.call({ method: 'PATCH', url: `${keysUrl}/${key.id}`, as: { session: t.admin }, body });
    expectError(await patch({ name: '' }), 400, 'invalid_input', 'body.name');
    expectError(await patch({ deployTargets: [jsTarget] }), 400, 'invalid_input', 'body.deployTargets');
    expectError(await patch({ deployTargets: 'all' }), 400, 'invalid_input', 'body.deployTargets');
    expectError(await patch({ expiresAt: 'soon' }), 400, 'invalid_input', 'body.expiresAt');
    expectError(
      await patch({ expiresAt: new Date(0).toISOString() }),
      400,
      'invalid_input',
      'body.expiresAt',
    );
    expectError(
      await t.call({
        method: 'PATCH',
        url: `${keysUrl}/${key.id}`,
        as: { session: t.admin },
        body: 'name=x',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
      }),
      415,
      'unsupported_media_type',
    );
    // the refused edits changed nothing
    const record = expectData<{ name: string; deployTargets: string[] }>(
      await t.call({ url: `${keysUrl}/${key.id}`, as: { session: t.admin } }),
    );
    assert.equal(record.name, 'rest key');
    assert.deepEqual(record.deployTargets, []);
  });

  test('an id that is far too long', async () => {
    expectError(
      await t.call({ url: `${keysUrl}/${'k'.repeat(65)}`, as: { session: t.admin } }),
      400,
      'invalid_input',
      'params.id',
    );
  });
});

describe('API keys: what is not there is 404', () => {
  test('an unknown id, for every route that takes one', async () => {
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      expectError(
        await t.call({
          method,
          url: `${keysUrl}/key-nothere00`,
          as: { session: t.admin },
          body: method === 'PATCH' ? {} : undefined,
        }),
        404,
        'api_key_not_found',
      );
    }
  });

  test('a key of another account is not found through this account', async () => {
    const other = await t.services.accounts.create('Neighbour');
    const theirs = await t.key('admin-author', { accountId: other.id });
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      expectError(
        await t.call({
          method,
          url: `${keysUrl}/${theirs.id}`,
          as: { session: t.admin },
          body: method === 'PATCH' ? { name: 'mine' } : undefined,
        }),
        404,
        'api_key_not_found',
      );
    }
    const verified = await t.services.keyVerifier.verify(theirs.secret);
    assert.ok(
      verified.ok && verified.key.name === 'admin-author key',
      'the other account’s key is untouched',
    );
  });

  test('a deleted key cannot be read, edited, nor deleted again', async () => {
    const key = await t.key('rest');
    expectData(await t.call({ method: 'DELETE', url: `${keysUrl}/${key.id}`, as: { session: t.admin } }));
    for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
      expectError(
        await t.call({
          method,
          url: `${keysUrl}/${key.id}`,
          as: { session: t.admin },
          body: method === 'PATCH' ? { name: 'back' } : undefined,
        }),
        404,
        'api_key_not_found',
      );
    }
    assert.deepEqual(await t.services.keyVerifier.verify(key.secret), { ok: false, code: 'key_deleted' });
  });
});

describe('API keys: allowed origins', () => {
  test('only origins, only on JS keys, on create and on PATCH', async () => {
    expectError(
      await post({ kind: 'js', name: 'x', allowedOrigins: 'https://a.example' }),
      400,
      'invalid_input',
      'body.allowedOrigins',
    );
    expectError(
      await post({ kind: 'js', name: 'x', allowedOrigins: ['https://a.example', 'https://a.example/shop'] }),
      400,
      'invalid_input',
      'body.allowedOrigins.1',
    );
    expectError(
      await post({ kind: 'js', name: 'x', allowedOrigins: ['a.example'] }),
      400,
      'invalid_input',
      'body.allowedOrigins.0',
    );
    expectError(
      await post({
        kind: 'js',
        name: 'x',
        allowedOrigins: Array.from({ length: 51 }, (_, i) => `https://a${i}.example`),
      }),
      400,
      'invalid_input',
      'body.allowedOrigins',
    );
    expectError(
      await post({ kind: 'rest', name: 'x', allowedOrigins: ['https://a.example'] }),
      400,
      'invalid_input',
      'body.allowedOrigins',
    );
    const rest = expectData<{ id: string }>(await post({ kind: 'rest', name: 'x' }), 201);
    expectError(
      await t.call({
        method: 'PATCH',
        url: `${keysUrl}/${rest.id}`,
        as: { session: t.admin },
        body: { allowedOrigins: ['https://a.example'] },
      }),
      400,
      'invalid_input',
      'body.allowedOrigins',
    );
    const js = expectData<{ id: string; allowedOrigins: string[] }>(
      await post({ kind: 'js', name: 'x', allowedOrigins: ['https://a.example'] }),
      201,
    );
    expectError(
      await t.call({
        method: 'PATCH',
        url: `${keysUrl}/${js.id}`,
        as: { session: t.admin },
        body: { allowedOrigins: ['ftp://a.example'] },
      }),
      400,
      'invalid_input',
      'body.allowedOrigins.0',
    );
    const unchanged = expectData<{ allowedOrigins: string[] }>(
      await t.call({ url: `${keysUrl}/${js.id}`, as: { session: t.admin } }),
    );
    assert.deepEqual(unchanged.allowedOrigins, ['https://a.example'], 'a refused PATCH changes nothing');
  });
});
