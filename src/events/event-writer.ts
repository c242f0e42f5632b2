/**
 * The durable event writer: what a request records (its visitor state, counted selections and
 * accepted rewards) is committed with the writes of every other request of the same moment, in
 * one transaction, before the request is answered. On SQLite the store runs with
 * synchronous=FULL, so an acknowledged event has been fsynced; group commit keeps that to one
 * fsync per batch instead of one per request.
 */

import { isStoreUnavailable, type Store, sqliteFile } from '../store/connect.js';
import { type BatchOutcome, commitEvents, type EventWrite } from './event-store.js';
import { createGroupCommit, type GroupCommitStats } from './group-commit.js';
import type { KnownSessions } from './known-sessions.js';
import { type CommitThread, createCommitThread } from './sqlite-commit-thread.js';
import { type UsageBatch, writeUsage } from './usage-store.js';

export interface EventWriterStats extends GroupCommitStats {
  selectionsCounted: number;
  rewardsCounted: number;
}

export interface EventWriter {
  /** Readies what commits need (a SQLite file's commit thread) before the first request. */
  start(): void;
  /**
   * Writes a batch of key usage where events are committed: a SQLite file's commit thread (so its
   * fsync never stalls requests), else this thread.
   */
  writeUsage(batch: UsageBatch): Promise<void>;
  /** Resolves once the write is committed; rejects if its batch could not be. */
  record(write: EventWrite): Promise<void>;
  /** Commits everything pending (server shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): EventWriterStats;
}

export interface EventWriterOptions {
  maxBatch?: number;
  /** SQLite files: commit on the request thread instead of a commit thread */
  inThread?: boolean;
  /** told of every session a write stores a state or selection of, before it is committed */
  knownSessions?: KnownSessions;
}

/** A SQLite file gets a commit thread; an in-memory SQLite database and PostgreSQL commit in-thread. */
function usesCommitThread(store: Store, options: EventWriterOptions): boolean {
  return !options.inThread && sqliteFile(store) !== null;
}

export function createEventWriter(store: Store, options: EventWriterOptions = {}): EventWriter {
  const counted = { selectionsCounted: 0, rewardsCounted: 0 };
  const thread: CommitThread | null = usesCommitThread(store, options) ? createCommitThread(store.url) : null;
  const commit = (writes: EventWrite[]): Promise<BatchOutcome> =>
    thread ? thread.commit(writes) : commitEvents(store.db, writes);
  const group = createGroupCommit<EventWrite>(
    async (writes) => {
      const outcome = await commit(writes);
      counted.selectionsCounted += outcome.selectionsCounted;
      counted.rewardsCounted += outcome.rewardsCounted;
    },
    // One write the store refuses (a value it cannot hold) must not fail the requests of
    // other visitors that shared its transaction; an unreachable store fails them all alike.
    {
      maxBatch: options.maxBatch ?? 1000,
      retryAlone: (error) => !isStoreUnavailable(error),
      // The commit thread takes batches in order on its one connection, so a second one waits
      // there; in-thread commits (PostgreSQL) keep one transaction of this server at a time.
      batchesInFlight: thread ? 2 : 1,
    },
  );
  return {
    start: () => thread?.start(),
    record: (write) => {
      const known = options.knownSessions;
      if (known) {
        if (write.visitor) known.add(write.visitor);
        for (const selection of write.selections) known.add(selection);
      }
      return group.submit(write);
    },
    writeUsage: (batch) => (thread ? thread.writeUsage(batch) : writeUsage(store.db, batch)),
    flush: () => group.flush(),
    async close() {
      await group.close();
      await thread?.close();
    },
    stats: () => ({ ...group.stats(), ...counted }),
  };
}
