/**
 * Runs event commits on a worker thread (sqlite-commit-worker.ts) for a SQLite file, and WAL
 * checkpoints on another. While the worker writes and fsyncs one batch, the request thread goes on serving and gathers the next
 * one, so batches grow with the commit latency, as they do on PostgreSQL. An in-memory database
 * cannot be shared with another connection, so it is committed in-thread instead (events.ts).
 */
import { Worker } from 'node:worker_threads';
import { startCheckpointer } from '../store/sqlite-checkpointer.js';
import type { BatchOutcome, EventWrite } from './event-store.js';
import type { CommitReply, CommitRequest } from './sqlite-commit-worker.js';
import type { UsageBatch } from './usage-store.js';

export interface CommitThread {
  /** Starts the threads now rather than at the first commit (a server about to take requests). */
  start(): void;
  commit(writes: EventWrite[]): Promise<BatchOutcome>;
  /** Writes a batch of key usage on the same thread and connection as the event commits. */
  writeUsage(batch: UsageBatch): Promise<void>;
  close(): Promise<void>;
}

export interface CommitThreadOptions {
  /** WAL size past which the commit thread restarts the log (default WAL_RESTART_BYTES) */
  walRestartBytes?: number;
}

/**
 * The commit thread's young generation: its garbage is the batches it was handed, so a small one
 * serves, and V8's default (sized for a server's request thread) only raised the process's
 * resident memory under load.
 */
const COMMIT_THREAD_LIMITS = { maxYoungGenerationSizeMb: 8 };

function startWorker(url: string, options: CommitThreadOptions = {}): Worker {
  const workerData = { url, ...options };
  const self = import.meta.url;
  if (self.endsWith('.ts')) {
    // Run from TypeScript sources (tsx): the worker registers the same loader before its import.
    const entry = new URL('./sqlite-commit-worker.ts', self).href;
    const tsx = import.meta.resolve('tsx/esm/api');
    return new Worker(
      `import(${JSON.stringify(tsx)}).then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); })`,
      { eval: true, workerData, resourceLimits: COMMIT_THREAD_LIMITS },
    );
  }
  return new Worker(new URL('./sqlite-commit-worker.js', self), {
    workerData,
    resourceLimits: COMMIT_THREAD_LIMITS,
  });
}

export function createCommitThread(url: string, options: CommitThreadOptions = {}): CommitThread {
  let worker: Worker | null = null;
  let checkpointer: Worker | null = null;
  let nextId = 1;
  const waiting = new Map<number, { resolve: (o: BatchOutcome) => void; reject: (e: Error) => void }>();

  function failAll(error: Error): void {
    for (const w of waiting.values()) w.reject(error);
    waiting.clear();
  }

  function ensureWorker(): Worker {
    if (worker) return worker;
    if (!checkpointer) {
      const started = startCheckpointer(url);
      // Neither thread keeps the process alive: a commit in flight has acknowledged nothing yet.
      started.unref();
      started.on('error', () => {});
      started.on('exit', () => {
        if (checkpointer === started) checkpointer = null;
      });
      checkpointer = started;
    }
    const started = startWorker(url, options);
    started.on('message', (reply: CommitReply) => {
      const w = waiting.get(reply.id);
      if (!w) return;
      waiting.delete(reply.id);
      if (waiting.size === 0) started.unref();
      if (reply.ok)
        w.resolve({ selectionsCounted: reply.selectionsCounted, rewardsCounted: reply.rewardsCounted });
      else w.reject(Object.assign(new Error(reply.message), reply.code ? { code: reply.code } : {}));
    });
    started.on('error', (error) => {
      if (worker === started) worker = null;
      failAll(error);
    });
    started.on('exit', () => {
      // A crashed worker is replaced by the next commit; what it had in hand is reported failed.
      if (worker === started) worker = null;
      failAll(new Error('the SQLite commit thread stopped'));
    });
    // Idle, it keeps no process alive (after the 'message' listener: adding it refs the port
    // again); while commits are in flight it does, so their writers hear how they ended.
    started.unref();
    worker = started;
    return started;
  }

  function send(message: (id: number) => CommitRequest): Promise<BatchOutcome> {
    return new Promise<BatchOutcome>((resolve, reject) => {
      const id = nextId++;
      waiting.set(id, { resolve, reject });
      const target = ensureWorker();
      if (waiting.size === 1) target.ref();
      target.postMessage(message(id));
    });
  }

  return {
    start() {
      ensureWorker();
    },
    commit(writes) {
      return send((id) => ({ type: 'commit', id, writes }));
    },
    async writeUsage(batch) {
      await send((id) => ({ type: 'usage', id, batch }));
    },
    async close() {
      const running = [worker, checkpointer].filter((w): w is Worker => w !== null);
      worker = null;
      checkpointer = null;
      await Promise.all(
        running.map((w) => {
          // Held open until they have closed their connections.
          w.ref();
          const exited = new Promise<void>((resolve) => w.once('exit', () => resolve()));
          w.postMessage({ type: 'close' } satisfies CommitRequest);
          return exited;
        }),
      );
    },
  };
}
