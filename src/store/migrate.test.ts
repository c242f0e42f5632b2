/**
 * Migrating on a PostgreSQL database that other applications (or tests) use at the same time:
 * Kysely's migrator first lists the tables of every schema, and a table renamed during that scan
 * fails it with 42P01. `migrateToLatest` tries again after growing pauses, so a rename that comes
 * and goes meanwhile costs a moment, not the server's start.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import pg from 'pg';
import {
  createSchema,
  dropSchema,
  postgresAvailable,
  postgresUrl,
  testDialect,
} from '../../test/helpers/store.js';
import { openStore } from './connect.js';
import { migrateToLatest } from './migrate.js';

const onPostgres = testDialect === 'postgres' && (await postgresAvailable());
const schemas: string[] = [];
after(async () => {
  for (const schema of schemas) await dropSchema(schema);
});

let other: string;
before(async () => {
  if (!onPostgres) return;
  other = await createSchema();
  schemas.push(other);
});

test('a migration survives another schema renaming a table back and forth under its scan', {
  skip: onPostgres ? false : 'PostgreSQL only: SQLite has one application per file',
}, async () => {
  const churner = new pg.Client({ connectionString: postgresUrl });
  await churner.connect();
  await churner.query(`create table ${other}.churn (id int, a text, b text, c text)`);
  // Another application renaming a table for 400 ms, as fast as it can.
  let renames = 0;
  const until = Date.now() + 400;
  const churning = (async () => {
    while (Date.now() < until) {
      await churner.query(`alter table ${other}.churn rename to churn_moved`);
      await churner.query(`alter table ${other}.churn_moved rename to churn`);
      renames += 2;
    }
  })();
  const mine = await createSchema();
  schemas.push(mine);
  const store = openStore({ url: postgresUrl, schema: mine, poolSize: 2 });
  try {
    const applied = await migrateToLatest(store);
    assert.ok(applied.length > 5, 'every migration ran');
  } finally {
    await churning;
    await churner.end();
    await store.close();
  }
  assert.ok(renames > 10, `the other schema kept renaming (${renames} renames)`);
});
