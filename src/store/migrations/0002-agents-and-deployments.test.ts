import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Migrator } from 'kysely';
import { createSchema, dropSchema, postgresUrl, testDialect } from '../../../test/helpers/store.js';
import { openStore, type Store } from '../connect.js';
import { migrateToLatest, migrateWith } from '../migrate.js';
import * as foundation from './0001-foundation.js';

let store: Store;
let schema: string | undefined;

after(async () => {
  await store?.close();
  if (schema) await dropSchema(schema);
});

test('an account made before agents existed gets configuration 0, served by its automatic targets', async () => {
  if (testDialect === 'postgres') {
    schema = await createSchema();
    store = openStore({ url: postgresUrl, schema, poolSize: 2 });
  } else {
    store = openStore({ url: 'sqlite::memory:' });
  }
  const foundationOnly = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => ({ '0001-foundation': foundation }) },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  await migrateWith(foundationOnly);
  const at = Date.now();
  await store.db.insertInto('accounts').values({ id: 'acc-old', name: 'Old', created_at: at }).execute();
  const target = (id: string, deployMode: string) => ({
    id,
    account_id: 'acc-old',
    name: id,
    kind: 'rest',
    deploy_mode: deployMode,
    is_default: 0,
    deployed_version: null,
    deployed_at: null,
    created_at: at,
  });
  await store.db
    .insertInto('deploy_targets')
    .values([target('dt-auto', 'automatic'), target('dt-manual', 'manual')])
    .execute();

  await migrateToLatest(store);

  const targets = await store.db
    .selectFrom('deploy_targets')
    .select(['id', 'deployed_version'])
    .orderBy('id')
    .execute();
  assert.deepEqual(targets, [
    { id: 'dt-auto', deployed_version: 0 },
    { id: 'dt-manual', deployed_version: null },
  ]);
  const snapshot = await store.db.selectFrom('snapshots').selectAll().executeTakeFirstOrThrow();
  assert.deepEqual(JSON.parse(snapshot.body), { version: 0, agents: {}, goals: {} });
  const configuration = await store.db.selectFrom('configurations').selectAll().executeTakeFirstOrThrow();
  assert.equal(configuration.version, 0);
});
