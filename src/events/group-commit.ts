/**
 * Group commit: items submitted by concurrent requests are committed together, one transaction
 * per batch, and each submitter's promise settles only after its batch committed (or failed).
 *
 * A batch starts on the next turn of the event loop after the first item arrives (setImmediate),
 * so every request handled in the same turn rides one commit; while a commit is in flight (an
 * asynchronous store), new items queue for the next one. Under load batches grow by themselves
 * and the number of fsyncs stays low; when idle, an item waits less than a millisecond.
 *
 * Items submitted at the same time commit in no promised order; an item submitted after another
 * one's promise settled commits after it (a session's requests take turns, so its writes do).
 */

export interface GroupCommitStats {
  /** batches committed since start */
  batches: number;
  /** items committed since start */
  items: number;
  /** batches that failed (their submitters were rejected) */
  failures: number;
  /** items waiting or in flight */
  pending: number;
  /** time spent committing, in total and the longest commit (ms) */
  commitMs: number;
  maxCommitMs: number;
}

export interface GroupCommit<T> {
  /** Resolves once the item is durably committed; rejects with the commit's error otherwise. */
  submit(item: T): Promise<void>;
  /** Resolves when everything submitted so far has been committed or has failed. */
  flush(): Promise<void>;
  /** Flushes, then refuses new items. */
  close(): Promise<void>;
  stats(): GroupCommitStats;
}

export class GroupCommitClosedError extends Error {
  constructor() {
    super('The event writer is closed');
  }
}

interface Waiter<T> {
  item: T;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitOptions {
  /** Most items per transaction (bounds statement sizes); more wait for the next batch. */
  maxBatch?: number;
  /**
   * Whether a batch that failed with this error is committed again item by item, so that one
   * item the store refuses fails only its own submitter. Not for errors every item would meet
   * (the store is unreachable): those fail the batch at once.
   */
  retryAlone?: (error: unknown) => boolean;
  /**
   * Batches committing at once (default 1). More suits a committer that takes batches in order
   * on one connection (the SQLite commit thread): the next batch then waits there, not here, and
   * the committer goes from one commit to the next without waiting for this thread to hear of
   * the last (bench/: with 2, new sessions about 3% more requests/s, +0.4 to +7% in four runs).
   */
  batchesInFlight?: number;
}

export function createGroupCommit<T>(
  commit: (items: T[]) => Promise<void>,
  options: GroupCommitOptions = {},
): GroupCommit<T> {
  const maxBatch = Math.max(1, options.maxBatch ?? 1000);
  const batchesInFlight = Math.max(1, options.batchesInFlight ?? 1);
  let queue: Waiter<T>[] = [];
  // the batches' loops now running, at most `batchesInFlight`
  const running = new Set<Promise<void>>();
  let scheduled = false;
  let closed = false;
  let committing = 0;
  const totals = { batches: 0, items: 0, failures: 0, commitMs: 0, maxCommitMs: 0 };

  async function drain(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.length <= maxBatch ? queue : queue.slice(0, maxBatch);
      queue = queue.length <= maxBatch ? [] : queue.slice(maxBatch);
      committing += batch.length;
      const started = performance.now();
      try {
        await commit(batch.map((w) => w.item));
        totals.batches++;
        totals.items += batch.length;
        for (const w of batch) w.resolve();
      } catch (error) {
        // Retried alone, the batch's items count as the commits they then become.
        if (batch.length > 1 && options.retryAlone?.(error)) await commitOneByOne(batch);
        else {
          totals.failures++;
          for (const w of batch) w.reject(error);
        }
      } finally {
        committing -= batch.length;
        const took = performance.now() - started;
        totals.commitMs += took;
        if (took > totals.maxCommitMs) totals.maxCommitMs = took;
      }
    }
  }

  async function commitOneByOne(batch: Waiter<T>[]): Promise<void> {
    for (const w of batch) {
      try {
        await commit([w.item]);
        totals.batches++;
        totals.items++;
        w.resolve();
      } catch (error) {
        totals.failures++;
        w.reject(error);
      }
    }
  }

  function start(): void {
    scheduled = false;
    if (running.size >= batchesInFlight || queue.length === 0) return;
    const loop: Promise<void> = drain().finally(() => {
      running.delete(loop);
      if (queue.length > 0) schedule();
    });
    running.add(loop);
  }

  function schedule(): void {
    if (scheduled || running.size >= batchesInFlight) return;
    scheduled = true;
    setImmediate(start);
  }

  async function flush(): Promise<void> {
    while (running.size > 0 || queue.length > 0) {
      if (running.size === 0) start();
      await Promise.all(running);
    }
  }

  return {
    submit(item) {
      if (closed) return Promise.reject(new GroupCommitClosedError());
      return new Promise<void>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        schedule();
      });
    },
    flush,
    async close() {
      closed = true;
      await flush();
    },
    stats() {
      return { ...totals, pending: queue.length + committing };
    },
  };
}
