import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectError } from '../../../test/helpers/expect.js';
import { fakeSnapshots } from '../../../test/helpers/runtime.js';
import { type RouteContext, securitySuite } from '../../../test/helpers/security.js';

async function defaultRestTarget({ t, principals }: RouteContext): Promise<string> {
  const target = await t.services.deployTargets.resolve(principals.accountId, undefined);
  if (!target) throw new Error('the account has no default REST target');
  return target.id;
}

securitySuite('Runtime API', [
  {
    method: 'POST',
    path: '/:acc/v3/agent-api',
    permission: 'runtime',
    body: () => ({ commands: [{ a: 'a-none' }] }),
    ok: 200,
  },
  {
    method: 'POST',
    path: '/:acc/v3/agent-api/:dt',
    permission: 'runtime',
    params: { dt: defaultRestTarget },
    body: () => [{ a: 'a-none' }],
    ok: 200,
  },
]);

describe('Runtime API: keys and deploy targets (the issue\'s "Must show")', () => {
  let t: TestApp;
  let acc: string;
  let staging: string;
  let production: string;
  let jsTarget: string;
  const run = (url: string, key: string, via: 'header' | 'query' = 'query') =>
    t.call({ method: 'POST', url, as: { key, via }, body: { commands: [{ a: 'a-example' }] } });

  before(async () => {
    t = await createTestApp({ services: { snapshots: fakeSnapshots() } });
    acc = t.account.id;
    staging = (
      await t.services.deployTargets.create(acc, { name: 'Staging', kind: 'rest', deployMode: 'manual' })
    ).id;
    production = (
      await t.services.deployTargets.create(acc, { name: 'Production', kind: 'rest', deployMode: 'manual' })
    ).id;
    jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id as string;
  });
  after(() => t.close());

  test('a REST key associated with staging gets 200 there and 403 deploy_target_not_allowed on production', async () => {
    const { secret } = await t.key('rest', { deployTargets: [staging] });
    const ok = await run(`/${acc}/v3/agent-api/${staging}`, secret);
    assert.equal(ok.statusCode, 200, ok.body);
    assert.equal(ok.json().data.items[0].a, 'a-example');
    expectError(await run(`/${acc}/v3/agent-api/${production}`, secret), 403, 'deploy_target_not_allowed');
    // The account's default target is not staging either.
    expectError(await run(`/${acc}/v3/agent-api`, secret, 'header'), 403, 'deploy_target_not_allowed');
  });

  test('a REST key with no association works on every REST target', async () => {
    const { secret } = await t.key('rest');
    for (const url of [
      `/${acc}/v3/agent-api/${staging}`,
      `/${acc}/v3/agent-api/${production}`,
      `/${acc}/v3/agent-api`,
    ]) {
      const res = await run(url, secret);
      assert.equal(res.statusCode, 200, `${url}: ${res.body}`);
    }
  });

  test('deleting the key makes the very next call 403 key_deleted', async () => {
    const { id, secret } = await t.key('rest');
    assert.equal((await run(`/${acc}/v3/agent-api`, secret)).statusCode, 200);
    const removed = await t.call({
      method: 'DELETE',
      // The key was just used: the deletion names it as confirmation.
      url: `/admin/${acc}/api-keys/${id}?confirm=${encodeURIComponent('rest key')}`,
      as: { session: t.admin },
    });
    assert.equal(removed.statusCode, 200, removed.body);
    expectError(await run(`/${acc}/v3/agent-api`, secret), 403, 'key_deleted');
  });

  test('admin keys and JS keys get 403 wrong_key_kind', async () => {
    for (const kind of ['admin-read', 'admin-author', 'js'] as const) {
      const { secret } = await t.key(kind);
      expectError(await run(`/${acc}/v3/agent-api`, secret), 403, 'wrong_key_kind');
      expectError(await run(`/${acc}/v3/agent-api/${staging}`, secret, 'header'), 403, 'wrong_key_kind');
    }
  });

  test("another account's REST key gets 403 wrong_account", async () => {
    const other = await t.services.accounts.create('Other');
    const { secret } = await t.key('rest', { accountId: other.id });
    expectError(await run(`/${acc}/v3/agent-api`, secret), 403, 'wrong_account');
    expectError(await run(`/${acc}/v3/agent-api/${staging}`, secret), 403, 'wrong_account');
  });

  test('a signed-in person (even the Account Admin) is no credential here: 401', async () => {
    const res = await t.call({
      method: 'POST',
      url: `/${acc}/v3/agent-api`,
      as: { session: t.admin },
      body: { commands: [] },
    });
    expectError(res, 401, 'credential_missing');
  });

  test('a JS target or an unknown target is no REST target: 404 deploy_target_not_found', async () => {
    const { secret } = await t.key('rest');
    expectError(await run(`/${acc}/v3/agent-api/${jsTarget}`, secret), 404, 'deploy_target_not_found');
    expectError(await run(`/${acc}/v3/agent-api/dt-nothere1`, secret), 404, 'deploy_target_not_found');
  });

  test('the key never appears in the answer', async () => {
    const { secret } = await t.key('rest');
    const res = await t.call({
      method: 'POST',
      url: `/${acc}/v3/agent-api?debug=true`,
      as: { key: secret, via: 'query' },
      body: { commands: [{ a: 'a-example' }, { a: 'a-unknown' }] },
    });
    assert.equal(res.statusCode, 200);
    assert.ok(!res.body.includes(secret));
  });
});
