/**
 * The SQLite commit thread: commits event batches on its own connection, so the fsync of each
 * commit (synchronous=FULL) and the writing itself never stall the thread that serves requests.
 * It runs the very `commitEvents` the other dialects run in-thread.
 *
 * With `role: 'checkpoint'` the same file is the checkpoint thread: it copies the WAL into the
 * database every quarter second (PASSIVE: beside the writer, never blocking it), so no commit
 * ever waits for a checkpoint of a thousand pages, as SQLite's automatic checkpoint would make it.
 */

import { parentPort, workerData } from 'node:worker_threads';
import SQLite from 'better-sqlite3';
import { sql } from 'kysely';
import { openStore } from '../store/connect.js';
import type { EventWrite } from './event-store.js';
import { commitEvents } from './event-store.js';
import { type UsageBatch, writeUsage } from './usage-store.js';

export type CommitRequest =
  | { type: 'commit'; id: number; writes: EventWrite[] }
  /** key usage counted on the request thread (keys/key-usage.ts), written here for the same reason */
  | { type: 'usage'; id: number; batch: UsageBatch }
  | { type: 'close' };
export type CommitReply =
  | { id: number; ok: true; selectionsCounted: number; rewardsCounted: number }
  /** code: the driver's error code (SQLITE_…), so the request thread can tell what failed */
  | { id: number; ok: false; message: string; code?: string };

export const CHECKPOINT_EVERY_MS = 250;

const port = parentPort;
const { url, role } = (workerData ?? {}) as { url: string; role?: 'commit' | 'checkpoint' };
if (port && role === 'checkpoint') {
  const sqlite = new SQLite(url.slice('sqlite:'.length));
  sqlite.pragma('busy_timeout = 5000');
  const timer = setInterval(() => {
    try {
      sqlite.pragma('wal_checkpoint(PASSIVE)');
    } catch {
      // Busy or interrupted: the next round tries again.
    }
  }, CHECKPOINT_EVERY_MS);
  port.on('message', () => {
    clearInterval(timer);
    sqlite.close();
    port.close();
  });
} else if (port) {
  const store = openStore({ url });
  // Checkpoints are the checkpoint thread's work, not the commits'.
  const ready = sql`pragma wal_autocheckpoint = 0`.execute(store.db);
  port.on('message', async (request: CommitRequest) => {
    await ready;
    if (request.type === 'close') {
      await store.close();
      port.close();
      return;
    }
    let reply: CommitReply;
    try {
      if (request.type === 'usage') {
        await writeUsage(store.db, request.batch);
        reply = { id: request.id, ok: true, selectionsCounted: 0, rewardsCounted: 0 };
      } else {
        reply = { id: request.id, ok: true, ...(await commitEvents(store.db, request.writes)) };
      }
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      reply = {
        id: request.id,
        ok: false,
        message: error instanceof Error ? error.message : String(error),
        ...(typeof code === 'string' ? { code } : {}),
      };
    }
    port.postMessage(reply);
  });
}
