/**
 * Expiry is the end of a key, as deletion is: once past, no edit gives the key a new expiry (409
 * key_expired, nothing changed or audited), so a secret that may have leaked after it was meant to
 * stop cannot start working again. A key not yet expired can still have its expiry moved or
 * removed, and an expired key can still be renamed.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { expectError } from '../../test/helpers/expect.js';

const MINUTE = 60_000;
let clock = Date.UTC(2031, 5, 1, 8, 0);
let t: TestApp;
before(async () => {
  t = await createTestApp({ services: { now: () => clock } });
});
after(() => t.close());

const patch = (keyId: string, body: unknown) =>
  t.call({
    method: 'PATCH',
    url: `/admin/${t.account.id}/api-keys/${keyId}`,
    as: { session: t.admin },
    body,
  });
const use = async (secret: string) =>
  (await t.call({ url: `/admin/${t.account.id}/agents`, as: { key: secret } })).statusCode;
const updates = async (keyId: string) =>
  (
    await t.services.store.db
      .selectFrom('audit_log')
      .select('id')
      .where('target_id', '=', keyId)
      .where('action', '=', 'api-key.update')
      .execute()
  ).length;

test('an expired key stays expired: a new expiry, or none, is refused with 409 key_expired', async () => {
  const key = await t.key('admin-read', { name: 'Short-lived' });
  assert.equal((await patch(key.id, { expiresAt: new Date(clock + MINUTE).toISOString() })).statusCode, 200);
  assert.equal(await use(key.secret), 200);
  clock += 2 * MINUTE;
  assert.equal(await use(key.secret), 403, 'expired');
  const audited = await updates(key.id);
  for (const expiresAt of [new Date(clock + 24 * 60 * MINUTE).toISOString(), null]) {
    const answer = expectError(await patch(key.id, { expiresAt }), 409, 'key_expired');
    assert.match(answer.err, /expired .* stays expired/);
  }
  assert.equal(await use(key.secret), 403, 'still expired');
  assert.equal((await t.services.keys.getKey(t.account.id, key.id)).expiresAt, clock - MINUTE);
  assert.equal(await updates(key.id), audited, 'a refused edit writes no audit entry');
  // Its name is not its life: renaming it is an edit like any other.
  const renamed = await patch(key.id, { name: 'Short-lived (expired)' });
  assert.equal(renamed.statusCode, 200, renamed.body);
  assert.equal(await use(key.secret), 403);
});

test('a key not yet expired can have its expiry moved or removed', async () => {
  const key = await t.key('admin-read', { name: 'Extended' });
  assert.equal((await patch(key.id, { expiresAt: new Date(clock + MINUTE).toISOString() })).statusCode, 200);
  const later = await patch(key.id, { expiresAt: new Date(clock + 60 * MINUTE).toISOString() });
  assert.equal(later.statusCode, 200, later.body);
  clock += 2 * MINUTE;
  assert.equal(await use(key.secret), 200, 'extended before it ran out');
  assert.equal((await patch(key.id, { expiresAt: null })).statusCode, 200);
  clock += 120 * MINUTE;
  assert.equal(await use(key.secret), 200, 'no expiry');
});
