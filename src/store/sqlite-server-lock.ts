/**
 * One server per SQLite file. A server keeps what it has read in memory (keys, sessions, visitor
 * states) and hears of changes only from itself; a second server on the same file would go on
 * accepting a key the first one deleted. So `serve` holds an exclusive lock beside the database
 * (`<file>-serve.lock`, a small SQLite database in exclusive locking mode) for as long as it
 * runs, and a second server refuses to start. The operating system drops the lock when the
 * process ends, however it ends, so a crash leaves no stale lock behind. Commands that run and
 * exit (migrate, users, accounts) take no lock.
 */
import { existsSync, realpathSync } from 'node:fs';
import SQLite from 'better-sqlite3';

export class StoreInUseError extends Error {}

export interface ServerLock {
  release(): void;
}

export function holdSqliteServerLock(databasePath: string): ServerLock {
  // Beside the file itself, so a server started through a symlink to it takes the same lock.
  const path = `${existsSync(databasePath) ? realpathSync(databasePath) : databasePath}-serve.lock`;
  const lock = new SQLite(path);
  try {
    lock.pragma('busy_timeout = 0');
    // No journal file beside it: the lock's one write is a table that may already exist.
    lock.pragma('journal_mode = MEMORY');
    lock.pragma('locking_mode = EXCLUSIVE');
    // The first write transaction takes the EXCLUSIVE lock; in this locking mode it is kept
    // until the connection closes.
    lock.exec('BEGIN EXCLUSIVE; CREATE TABLE IF NOT EXISTS held (pid INTEGER); COMMIT;');
  } catch (error) {
    lock.close();
    if ((error as { code?: unknown }).code === 'SQLITE_BUSY') {
      throw new StoreInUseError(
        `Another Tessera server is already serving ${databasePath}. A SQLite file is served by one server; ` +
          'stop the other one, or use PostgreSQL to run several servers.',
      );
    }
    throw error;
  }
  return { release: () => lock.close() };
}
