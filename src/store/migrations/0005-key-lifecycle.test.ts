import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { Migrator } from 'kysely';
import { createSchema, dropSchema, postgresUrl, testDialect } from '../../../test/helpers/store.js';
import { openStore, type Store } from '../connect.js';
import { migrateToLatest, migrateWith } from '../migrate.js';
import * as foundation from './0001-foundation.js';
import * as agentsAndDeployments from './0002-agents-and-deployments.js';
import * as events from './0003-events.js';
import * as keyAllowedOrigins from './0004-key-allowed-origins.js';

let store: Store;
let schema: string | undefined;

after(async () => {
  await store?.close();
  if (schema) await dropSchema(schema);
});

test('keys made before rotation existed get their one secret as generation 1, still recognised', async () => {
  if (testDialect === 'postgres') {
    schema = await createSchema();
    store = openStore({ url: postgresUrl, schema, poolSize: 2 });
  } else {
    store = openStore({ url: 'sqlite::memory:' });
  }
  const before = new Migrator({
    db: store.db,
    provider: {
      getMigrations: async () => ({
        '0001-foundation': foundation,
        '0002-agents-and-deployments': agentsAndDeployments,
        '0003-events': events,
        '0004-key-allowed-origins': keyAllowedOrigins,
      }),
    },
    ...(schema ? { migrationTableSchema: schema } : {}),
  });
  await migrateWith(before);
  await store.db.insertInto('accounts').values({ id: 'acc-old', name: 'Old', created_at: 1 }).execute();
  const key = (id: string, hash: string, deleted: number | null) => ({
    id,
    account_id: 'acc-old',
    kind: 'rest',
    name: id,
    secret_hash: hash,
    masked: `masked-${id}`,
    public_token: null,
    created_at: 1000,
    created_by: 'a@example.com',
    expires_at: null,
    deleted_at: deleted,
    deleted_by: deleted === null ? null : 'a@example.com',
    allowed_origins: null,
  });
  // The old schema has no rate_limit_per_second column: insert without it.
  await store.db
    .insertInto('api_keys')
    .values([key('key-live', 'hash-live', null), key('key-gone', 'hash-gone', 2000)] as never)
    .execute();

  await migrateToLatest(store);

  const secrets = await store.db.selectFrom('api_key_secrets').selectAll().orderBy('key_id').execute();
  assert.deepEqual(secrets, [
    {
      secret_hash: 'hash-gone',
      key_id: 'key-gone',
      generation: 1,
      masked: 'masked-key-gone',
      issued_at: 1000,
      valid_until: null,
    },
    {
      secret_hash: 'hash-live',
      key_id: 'key-live',
      generation: 1,
      masked: 'masked-key-live',
      issued_at: 1000,
      valid_until: null,
    },
  ]);
  const keys = await store.db.selectFrom('api_keys').select(['id', 'rate_limit_per_second']).execute();
  assert.ok(keys.every((k) => k.rate_limit_per_second === null));
});
