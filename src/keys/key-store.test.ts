import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestStore, type TestStore } from '../../test/helpers/store.js';
import { createServices, type Services } from '../app/services.js';
import { chunks } from '../store/chunks.js';

let ts: TestStore;
let services: Services;
before(async () => {
  ts = await createTestStore();
  services = createServices(ts.store);
});
after(async () => {
  await services.keyUsage.close();
  await services.events.close();
  await ts.dispose();
});

test('an account with more keys than a statement may bind parameters lists them all', async () => {
  const { id: accountId } = await services.accounts.create('Many keys');
  const model = await services.keys.createKey(accountId, { kind: 'rest', name: 'model' }, 'test');
  const row = await ts.store.db
    .selectFrom('api_keys')
    .selectAll()
    .where('id', '=', model.key.id)
    .executeTakeFirstOrThrow();
  // Over SQLite's 32,766 bound parameters (PostgreSQL's 65,535 is the same code path).
  const copies = Array.from({ length: 33_000 }, (_, i) => ({
    ...row,
    id: `key-bulk${String(i).padStart(8, '0')}`,
    secret_hash: `bulk-${i}`,
  }));
  for (const chunk of chunks(copies)) await ts.store.db.insertInto('api_keys').values(chunk).execute();
  const keys = await services.keys.listKeys(accountId);
  assert.equal(keys.length, 33_001);
});
