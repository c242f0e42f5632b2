/**
 * The SQLite commit thread: commits event batches on its own connection, so the fsync of each
 * commit (synchronous=FULL) and the writing itself never stall the thread that serves requests.
 * It runs the very `commitEvents` the other dialects run in-thread.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { openStore } from '../store/connect.js';
import type { EventWrite } from './event-store.js';
import { commitEvents } from './event-store.js';

export type CommitRequest = { type: 'commit'; id: number; writes: EventWrite[] } | { type: 'close' };
export type CommitReply =
  | { id: number; ok: true; selectionsCounted: number; rewardsCounted: number }
  | { id: number; ok: false; message: string };

const port = parentPort;
if (port) {
  const store = openStore({ url: (workerData as { url: string }).url });
  port.on('message', async (request: CommitRequest) => {
    if (request.type === 'close') {
      await store.close();
      port.close();
      return;
    }
    let reply: CommitReply;
    try {
      reply = { id: request.id, ok: true, ...(await commitEvents(store.db, request.writes)) };
    } catch (error) {
      reply = { id: request.id, ok: false, message: error instanceof Error ? error.message : String(error) };
    }
    port.postMessage(reply);
  });
}
