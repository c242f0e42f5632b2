/**
 * The durable event writer: what a request records (its visitor state, counted selections and
 * accepted rewards) is committed with the writes of every other request of the same moment, in
 * one transaction, before the request is answered. On SQLite the store runs with
 * synchronous=FULL, so an acknowledged event has been fsynced; group commit keeps that to one
 * fsync per batch instead of one per request.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';
import { commitEvents, type EventWrite } from './event-store.js';
import { createGroupCommit, type GroupCommitStats } from './group-commit.js';

export interface EventWriterStats extends GroupCommitStats {
  selectionsCounted: number;
  rewardsCounted: number;
}

export interface EventWriter {
  /** Resolves once the write is committed; rejects if its batch could not be. */
  record(write: EventWrite): Promise<void>;
  /** Commits everything pending (server shutdown). */
  flush(): Promise<void>;
  close(): Promise<void>;
  stats(): EventWriterStats;
}

export interface EventWriterOptions {
  maxBatch?: number;
}

export function createEventWriter(db: Kysely<Database>, options: EventWriterOptions = {}): EventWriter {
  const counted = { selectionsCounted: 0, rewardsCounted: 0 };
  const group = createGroupCommit<EventWrite>(
    async (writes) => {
      const outcome = await commitEvents(db, writes);
      counted.selectionsCounted += outcome.selectionsCounted;
      counted.rewardsCounted += outcome.rewardsCounted;
    },
    { maxBatch: options.maxBatch ?? 1000 },
  );
  return {
    record: (write) => group.submit(write),
    flush: () => group.flush(),
    close: () => group.close(),
    stats: () => ({ ...group.stats(), ...counted }),
  };
}
