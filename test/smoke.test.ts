import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from './helpers/app.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test('an Account Admin creates a REST key, lists it without its secret, and deletes it', async () => {
  const acc = t.account.id;
  const created = await t.call({
    method: 'POST',
    url: `/admin/${acc}/api-keys`,
    as: { session: t.admin },
    body: { kind: 'rest', name: 'Server' },
  });
  assert.equal(created.statusCode, 201, created.body);
  const { id, secret } = created.json().data;
  assert.match(secret, /^tess_rest_[0-9A-Za-z]{36}$/);
  const list = await t.call({ url: `/admin/${acc}/api-keys`, as: { session: t.admin } });
  assert.equal(list.statusCode, 200);
  assert.ok(!list.body.includes(secret));
  assert.deepEqual(
    list.json().data.map((k: { id: string }) => k.id),
    [id],
  );
  const self = await t.call({ url: `/admin/${acc}/deploy-targets`, as: { key: secret } });
  assert.equal(self.json().code, 'wrong_key_kind');
  const removed = await t.call({
    method: 'DELETE',
    url: `/admin/${acc}/api-keys/${id}`,
    as: { session: t.admin },
  });
  assert.equal(removed.statusCode, 200);
  const after = await t.call({ url: `/admin/${acc}/deploy-targets`, as: { key: secret } });
  assert.equal(after.statusCode, 403);
  assert.equal(after.json().code, 'key_deleted');
});
