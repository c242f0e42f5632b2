import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test('every kind of key can see what it is, and never its secret', async () => {
  const [rest] = await t.services.deployTargets.list(t.account.id);
  for (const kind of ['rest', 'js', 'admin-read', 'admin-author'] as const) {
    const deployTargets = kind === 'rest' ? [rest.id] : [];
    const { id, secret } = await t.key(kind, { deployTargets, name: `my ${kind}` });
    for (const via of ['header', 'query'] as const) {
      const res = await t.call({ url: '/v3/keys/self', as: { key: secret, via } });
      assert.equal(res.statusCode, 200, res.body);
      const data = res.json().data;
      assert.equal(data.id, id);
      assert.equal(data.kind, kind);
      assert.equal(data.account, t.account.id);
      assert.equal(data.name, `my ${kind}`);
      assert.deepEqual(data.deployTargets, deployTargets);
      assert.ok(!res.body.includes(secret));
    }
  }
});

test('a deleted key learns why it is refused; no key gets 401', async () => {
  const { id, secret } = await t.key('rest');
  await t.services.keys.deleteKey(t.account.id, id, 'test');
  const res = await t.call({ url: '/v3/keys/self', as: { key: secret } });
  assert.equal(res.statusCode, 403);
  assert.equal(res.json().code, 'key_deleted');
  const none = await t.call({ url: '/v3/keys/self' });
  assert.equal(none.statusCode, 401);
  assert.equal(none.json().code, 'credential_missing');
  const person = await t.call({ url: '/v3/keys/self', as: { session: t.admin } });
  assert.equal(person.statusCode, 401, 'a session cookie is not an API key');
});

test('an empty Bearer header or apikey parameter presents no credential (401, not 403)', async () => {
  for (const headers of [{ authorization: 'Bearer ' }, { authorization: 'Bearer' }]) {
    const res = await t.call({ url: '/v3/keys/self', headers });
    assert.equal(res.statusCode, 401, JSON.stringify(headers));
    assert.equal(res.json().code, 'credential_missing');
  }
  const query = await t.call({ url: '/v3/keys/self?apikey=' });
  assert.equal(query.statusCode, 401);
});
