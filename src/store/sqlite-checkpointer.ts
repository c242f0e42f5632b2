/**
 * WAL checkpoints of a SQLite file on a thread of their own, beside the commit thread
 * (events/sqlite-commit-thread.ts), so that no commit waits for one.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

export const CHECKPOINT_EVERY_MS = 250;

/**
 * The checkpoint thread, whole: every quarter second it copies the WAL into the database
 * (PASSIVE: beside the writer, never blocking it), so no commit ever waits for a checkpoint of a
 * thousand pages, as SQLite's automatic checkpoint would make it. Plain JavaScript needing only
 * the driver: it loads neither the TypeScript loader nor the store's modules, which would cost
 * the process tens of megabytes of memory for a timer.
 */
const CHECKPOINT_PROGRAM = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const sqlite = new SQLite(workerData.path);
sqlite.pragma('busy_timeout = 5000');
const timer = setInterval(() => {
  try {
    sqlite.pragma('wal_checkpoint(PASSIVE)');
  } catch {
    // Busy or interrupted: the next round tries again.
  }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  sqlite.close();
  parentPort.close();
});
`;

/** Starts the checkpoint thread of a `sqlite:PATH` store. */
export function startCheckpointer(url: string): Worker {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  return new Worker(CHECKPOINT_PROGRAM, {
    eval: true,
    workerData: { driver, path: url.slice('sqlite:'.length), everyMs: CHECKPOINT_EVERY_MS },
  });
}
