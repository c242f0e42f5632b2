import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isConcurrentConflict, isStoreUnavailable } from './connect.js';

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
