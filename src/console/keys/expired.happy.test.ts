/**
 * An expired key stays expired (README, Expiry): its Edit dialog shows the expiry instead of
 * offering a new one, and saving the dialog (a new name) leaves the expiry as it was.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { getPage, postForm } from '../../../test/helpers/console.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test("an expired key's Edit dialog says it stays expired, and saving it renames without reviving", async () => {
  const acc = t.account.id;
  const { id } = await t.key('admin-read', { name: 'old report script' });
  const expiredAt = Date.now() - 60_000;
  await t.services.store.db
    .updateTable('api_keys')
    .set({ expires_at: expiredAt })
    .where('id', '=', id)
    .execute();

  const dialog = await getPage(t, `/console/${acc}/settings/api-keys/${id}/edit`, {
    as: t.admin,
    htmx: true,
  });
  assert.equal(dialog.statusCode, 200, dialog.body);
  assert.match(dialog.body, /An expired key stays expired: create a new key to replace it/);
  assert.doesNotMatch(dialog.body, /type="datetime-local"/);
  const sent = /name="expiresAt" value="([^"]+)"/.exec(dialog.body)?.[1];
  assert.ok(sent, 'the expiry is sent back as shown');

  const saved = await postForm(
    t,
    `/console/${acc}/settings/api-keys/${id}/edit`,
    {
      name: 'old report script (retired)',
      expiresAt: sent,
    },
    { as: t.admin },
  );
  assert.equal(saved.statusCode, 200, saved.body);
  const key = await t.services.keys.getKey(acc, id);
  assert.equal(key.name, 'old report script (retired)');
  assert.equal(key.expiresAt, expiredAt);

  // A key not yet expired keeps the field.
  const live = await t.key('admin-read', { name: 'live' });
  const liveDialog = await getPage(t, `/console/${acc}/settings/api-keys/${live.id}/edit`, {
    as: t.admin,
    htmx: true,
  });
  assert.match(liveDialog.body, /type="datetime-local"/);
});
