import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { sql } from 'kysely';
import { createTestStore, postgresAvailable, type TestStore, testDialect } from '../../test/helpers/store.js';
import { postgresWarnings } from './postgres-checks.js';

const onPostgres = testDialect === 'postgres' && (await postgresAvailable());
let ts: TestStore;
before(async () => {
  ts = await createTestStore();
});
after(() => ts.dispose());

test('on SQLite there is nothing to warn of', { skip: onPostgres }, async () => {
  assert.deepEqual(await postgresWarnings(ts.store), []);
});

test('on PostgreSQL, autovacuum off is warned of, and only then', { skip: !onPostgres }, async () => {
  const { rows } = await sql<{ autovacuum: string }>`show autovacuum`.execute(ts.store.db);
  const warnings = await postgresWarnings(ts.store);
  if (rows[0].autovacuum === 'on') assert.deepEqual(warnings, []);
  else assert.match(warnings.join('\n'), /autovacuum off/);
});
