import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { holdSqliteServerLock, StoreInUseError } from './sqlite-server-lock.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-lock-'));
after(() => rmSync(dir, { recursive: true, force: true }));

/** Tries to take the lock in another process: its exit status says whether it could. */
function lockInAnotherProcess(path: string): { status: number | null; stderr: string } {
  const code = `
    import { holdSqliteServerLock } from ${JSON.stringify(new URL('./sqlite-server-lock.ts', import.meta.url).href)};
    try { holdSqliteServerLock(${JSON.stringify(path)}); process.exit(0); }
    catch (error) { console.error(error.message); process.exit(3); }`;
  const child = spawnSync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    encoding: 'utf8',
  });
  return { status: child.status, stderr: child.stderr };
}

test('a second process cannot serve a SQLite file that a server holds; once it is released, it can', () => {
  const path = join(dir, 'held.db');
  const lock = holdSqliteServerLock(path);
  const refused = lockInAnotherProcess(path);
  assert.equal(refused.status, 3, refused.stderr);
  assert.match(refused.stderr, /Another Tessera server is already serving .*held\.db/);
  lock.release();
  const taken = lockInAnotherProcess(path);
  assert.equal(taken.status, 0, taken.stderr);
});

test('a process that ended without releasing leaves no lock behind', () => {
  const path = join(dir, 'crashed.db');
  // The other process takes the lock and exits without releasing it.
  assert.equal(lockInAnotherProcess(path).status, 0);
  const lock = holdSqliteServerLock(path);
  lock.release();
});

test('within one process the lock is refused too (a second server in the same process)', () => {
  const path = join(dir, 'twice.db');
  const lock = holdSqliteServerLock(path);
  try {
    assert.throws(() => holdSqliteServerLock(path), StoreInUseError);
  } finally {
    lock.release();
  }
});

test('a server started through a symlink to the file takes the same lock', () => {
  const path = join(dir, 'real.db');
  writeFileSync(path, '');
  symlinkSync(path, join(dir, 'linked.db'));
  const lock = holdSqliteServerLock(path);
  try {
    assert.throws(() => holdSqliteServerLock(join(dir, 'linked.db')), StoreInUseError);
  } finally {
    lock.release();
  }
});
