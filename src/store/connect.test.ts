import assert from 'node:assert/strict';
import { test } from 'node:test';
import { isStoreUnavailable } from './connect.js';

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
