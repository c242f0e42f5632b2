/**
 * Deploy-target lookups of the runtime: from memory while the change feed is live, from the store
 * while it is not (it may have missed the change that makes a cached target stale).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { createDeployTargetService } from './deploy-targets.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test('while the feed is not live, resolve reads the store', async () => {
  let live = true;
  const changes = { ...t.services.changes, isLive: () => live };
  const db = t.services.store.db;
  const targets = createDeployTargetService(db, {
    changes,
    audit: t.services.audit,
    keysUsing: () => Promise.resolve([]),
  });
  const acc = t.account.id;
  const cached = await targets.resolve(acc, undefined);
  assert.ok(cached);
  // Renamed behind this service's back, as by a server whose notification it did not hear.
  await db.updateTable('deploy_targets').set({ name: 'Renamed' }).where('id', '=', cached.id).execute();
  assert.equal((await targets.resolve(acc, undefined))?.name, cached.name, 'answered from memory while live');
  assert.equal((await targets.resolve(acc, cached.id))?.name, cached.name);
  live = false;
  assert.equal((await targets.resolve(acc, undefined))?.name, 'Renamed', 'not live: the default is read');
  assert.equal((await targets.resolve(acc, cached.id))?.name, 'Renamed', 'not live: the target is read');
});
