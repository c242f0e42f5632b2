/**
 * First start with several servers at once on one empty database: exactly one makes the first
 * account and its Account Admin; the others find them. On PostgreSQL each "server" has its own
 * connection pool, so the lock is the database's, not this process's.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  createSchema,
  dropSchema,
  postgresAvailable,
  postgresUrl,
  testDialect,
} from '../../test/helpers/store.js';
import { createServices, type Services } from '../app/services.js';
import { openStore, type Store } from '../store/connect.js';
import { migrateToLatest } from '../store/migrate.js';

const SERVERS = 4;

describe('first start of several servers at once', async () => {
  const onPostgres = testDialect === 'postgres';
  const skip = onPostgres && !(await postgresAvailable()) ? 'PostgreSQL is not reachable' : false;
  let schema: string | undefined;
  const stores: Store[] = [];
  let servers: Services[] = [];

  before(async () => {
    if (skip) return;
    if (onPostgres) {
      schema = await createSchema();
      for (let i = 0; i < SERVERS; i++) stores.push(openStore({ url: postgresUrl, schema, poolSize: 3 }));
    } else {
      // One SQLite database is served by one server process; its services may still start twice.
      stores.push(openStore({ url: 'sqlite::memory:' }));
    }
    await migrateToLatest(stores[0]);
    servers = Array.from({ length: SERVERS }, (_, i) => createServices(stores[i % stores.length]));
  });

  after(async () => {
    for (const services of servers) {
      await services.keyUsage.close();
      await services.events.close();
    }
    for (const store of stores) await store.close();
    if (schema) await dropSchema(schema);
  });

  test('one admin and one account are made, whichever server gets there first', { skip }, async () => {
    const results = await Promise.all(
      servers.map((services) =>
        services.bootstrap.run({ email: 'first@example.com', password: 'first-admins-password' }),
      ),
    );
    const kinds = results.map((r) => r.kind).sort();
    assert.deepEqual(kinds, ['admin-created', 'ready', 'ready', 'ready']);
    const accounts = await servers[0].accounts.list();
    assert.equal(accounts.length, 1, 'a single first account');
    assert.equal(await servers[0].users.count(), 1);
  });
});
