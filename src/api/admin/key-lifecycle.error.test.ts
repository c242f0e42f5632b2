import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectData, expectError } from '../../../test/helpers/expect.js';

let t: TestApp;
let keysUrl: string;
before(async () => {
  t = await createTestApp({ services: { keyUsageFlushMs: 0 } });
  keysUrl = `/admin/${t.account.id}/api-keys`;
});
after(() => t.close());

const call = (method: 'POST' | 'PATCH' | 'DELETE' | 'GET', url: string, body?: unknown) =>
  t.call({ method, url, as: { session: t.admin }, body });

describe('rolling: bad input and impossible rolls', () => {
  test('graceSeconds is required, a whole number from 0 to 30 days', async () => {
    const { id } = await t.key('rest');
    const url = `${keysUrl}/${id}/roll`;
    for (const body of [
      {},
      { graceSeconds: -1 },
      { graceSeconds: 1.5 },
      { graceSeconds: '3600' },
      { graceSeconds: 30 * 24 * 3600 + 1 },
      { graceSeconds: null },
    ]) {
      expectError(await call('POST', url, body), 400, 'invalid_input', 'body.graceSeconds');
    }
    expectError(await call('POST', url), 400, 'invalid_input', 'body');
    // the key was not rolled by any of them
    const key = expectData<{ rotation: { generation: number } }>(await call('GET', `${keysUrl}/${id}`));
    assert.equal(key.rotation.generation, 1);
  });

  test('an unknown or deleted key is 404 api_key_not_found, for roll and roll/end', async () => {
    const { id } = await t.key('rest');
    await t.services.keys.deleteKey(t.account.id, id, 'test');
    for (const key of [id, 'key-unknown000']) {
      expectError(
        await call('POST', `${keysUrl}/${key}/roll`, { graceSeconds: 60 }),
        404,
        'api_key_not_found',
      );
      expectError(await call('POST', `${keysUrl}/${key}/roll/end`), 404, 'api_key_not_found');
    }
  });

  test('roll/end of a key with no previous secret still valid is 409 no_grace_period', async () => {
    const { id } = await t.key('admin-read');
    expectError(await call('POST', `${keysUrl}/${id}/roll/end`), 409, 'no_grace_period');
    await call('POST', `${keysUrl}/${id}/roll`, { graceSeconds: 60 });
    assert.equal((await call('POST', `${keysUrl}/${id}/roll/end`)).statusCode, 200);
    expectError(await call('POST', `${keysUrl}/${id}/roll/end`), 409, 'no_grace_period', undefined);
  });

  test("another account's key cannot be rolled through this account", async () => {
    const other = await t.services.accounts.create('Other');
    const { id } = await t.key('rest', { accountId: other.id });
    expectError(await call('POST', `${keysUrl}/${id}/roll`, { graceSeconds: 0 }), 404, 'api_key_not_found');
  });
});

describe('delete confirmation', () => {
  test('a key used lately: no confirm is 409, a wrong name 400 naming querystring.confirm', async () => {
    const { id, secret } = await t.key('admin-read', { name: 'In use' });
    assert.equal(
      (await t.call({ url: `/admin/${t.account.id}/agents`, as: { key: secret } })).statusCode,
      200,
    );
    const url = `${keysUrl}/${id}`;
    expectError(await call('DELETE', url), 409, 'confirmation_required');
    expectError(await call('DELETE', `${url}?confirm=in%20use`), 400, 'invalid_input', 'querystring.confirm');
    expectError(await call('DELETE', `${url}?confirm=`), 400, 'invalid_input', 'querystring.confirm');
    expectError(
      await call('DELETE', `${url}?confirm=${'x'.repeat(201)}`),
      400,
      'invalid_input',
      'querystring.confirm',
    );
    assert.equal(
      (await t.call({ url: `/admin/${t.account.id}/agents`, as: { key: secret } })).statusCode,
      200,
    );
  });

  test('a wrong name is refused even for a key never used', async () => {
    const { id } = await t.key('rest', { name: 'Unused' });
    expectError(
      await call('DELETE', `${keysUrl}/${id}?confirm=Other`),
      400,
      'invalid_input',
      'querystring.confirm',
    );
    assert.equal((await call('DELETE', `${keysUrl}/${id}?confirm=Unused`)).statusCode, 200);
  });
});

describe('rate limits and expiry filters: bad input', () => {
  test('rateLimit.perSecond is a whole number from 1', async () => {
    for (const rateLimit of [
      { perSecond: 0 },
      { perSecond: -5 },
      { perSecond: 2.5 },
      { perSecond: '10' },
      {},
    ]) {
      expectError(
        await call('POST', keysUrl, { kind: 'rest', name: 'x', rateLimit }),
        400,
        'invalid_input',
        'body.rateLimit.perSecond',
      );
    }
    expectError(
      await call('POST', keysUrl, { kind: 'rest', name: 'x', rateLimit: 10 }),
      400,
      'invalid_input',
      'body.rateLimit',
    );
    const { id } = await t.key('rest');
    expectError(
      await call('PATCH', `${keysUrl}/${id}`, { rateLimit: { perSecond: 10_000_000 } }),
      400,
      'invalid_input',
      'body.rateLimit.perSecond',
    );
  });

  test('expiringWithin is a duration like 7d', async () => {
    for (const value of ['7', '7w', 'seven', '-1d', '1.5d', '9999999d']) {
      expectError(
        await call('GET', `${keysUrl}?expiringWithin=${value}`),
        400,
        'invalid_input',
        'querystring.expiringWithin',
      );
    }
  });
});
