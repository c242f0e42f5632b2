/**
 * Another connection holding a SQLite file's write lock for a while, from a thread of its own, as
 * the commit thread holds it while it commits: what a write on the test's connection meets.
 */
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

const HOLDER = `
const { parentPort, workerData } = require('node:worker_threads');
const SQLite = require(workerData.driver);
const sqlite = new SQLite(workerData.path);
sqlite.exec('begin immediate');
parentPort.postMessage('held');
Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, workerData.ms);
sqlite.exec('commit');
sqlite.close();
`;

/** Resolves once the lock is held; `released` once the holder has let it go (`ms` later). */
export async function holdWriteLock(path: string, ms: number): Promise<{ released: Promise<void> }> {
  const driver = createRequire(import.meta.url).resolve('better-sqlite3');
  const holder = new Worker(HOLDER, { eval: true, workerData: { driver, path, ms } });
  const released = new Promise<void>((resolve, reject) => {
    holder.once('error', reject);
    holder.once('exit', () => resolve());
  });
  await new Promise<void>((resolve, reject) => {
    holder.once('message', () => resolve());
    holder.once('error', reject);
  });
  return { released };
}
