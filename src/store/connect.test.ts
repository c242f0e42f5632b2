import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { sql } from 'kysely';
import { holdWriteLock } from '../../test/helpers/sqlite-write-lock.js';
import { isConcurrentConflict, isStoreUnavailable, openStore } from './connect.js';

const withCode = (code: string, message = 'failed') => Object.assign(new Error(message), { code });

test('a store that cannot be reached is told apart from a statement that failed', () => {
  for (const unavailable of [
    withCode('ECONNREFUSED'),
    withCode('57P01', 'terminating connection due to administrator command'),
    withCode('57P03', 'the database system is starting up'),
    withCode('08006'),
    withCode('53300', 'too many connections'),
    withCode('SQLITE_BUSY'),
    withCode('SQLITE_IOERR_FSYNC'),
    new Error('Connection terminated unexpectedly'),
    new Error('timeout exceeded when trying to connect'),
    new Error('wrapped', { cause: withCode('ECONNRESET') }),
    new AggregateError([withCode('ECONNREFUSED')], 'all addresses failed'),
  ]) {
    assert.equal(isStoreUnavailable(unavailable), true, String(unavailable));
  }
  for (const failed of [
    withCode('23505', 'duplicate key value violates unique constraint'),
    withCode('42P01', 'relation does not exist'),
    withCode('SQLITE_CONSTRAINT_UNIQUE'),
    new Error('something else'),
    'not an error',
    undefined,
  ]) {
    assert.equal(isStoreUnavailable(failed), false, String(failed));
  }
});

test('a write that lost a race with another is told apart from other failures', () => {
  for (const conflict of [
    withCode('23505', 'duplicate key value violates unique constraint'),
    withCode('23503', 'insert or update violates foreign key constraint'),
    withCode('40001', 'could not serialize access'),
    withCode('40P01', 'deadlock detected'),
    withCode('SQLITE_CONSTRAINT_UNIQUE'),
    withCode('SQLITE_CONSTRAINT_PRIMARYKEY'),
    withCode('SQLITE_CONSTRAINT_FOREIGNKEY'),
    new Error('wrapped', { cause: withCode('23505') }),
  ]) {
    assert.equal(isConcurrentConflict(conflict), true, String(conflict));
  }
  for (const other of [
    // A broken NOT NULL or CHECK rule is a defect to see in the logs, not a race to retry.
    withCode('SQLITE_CONSTRAINT_NOTNULL'),
    withCode('23502', 'null value in column violates not-null constraint'),
    withCode('42P01', 'relation does not exist'),
    withCode('ECONNREFUSED'),
    new Error('something else'),
    undefined,
  ]) {
    assert.equal(isConcurrentConflict(other), false, String(other));
  }
});

test('a SQLite transaction that reads before it writes waits while another connection writes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-connect-'));
  const file = join(dir, 'store.db');
  const store = openStore({ url: `sqlite:${file}` });
  try {
    await sql`create table counters (name text primary key, n integer not null)`.execute(store.db);
    await sql`insert into counters values ('a', 1)`.execute(store.db);
    const lock = await holdWriteLock(file, 300);
    // Begun deferred, its first write was refused at once (SQLITE_BUSY, a 503): SQLite does not
    // wait for the lock in a transaction that has already read.
    const n = await store.db.transaction().execute(async (trx) => {
      const { rows } = await sql<{ n: number }>`select n from counters where name = 'a'`.execute(trx);
      await sql`update counters set n = ${rows[0].n + 1} where name = 'a'`.execute(trx);
      return rows[0].n + 1;
    });
    assert.equal(n, 2);
    await lock.released;
  } finally {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
