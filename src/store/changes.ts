/**
 * Change notifications: a change that affects access or answers (a key deleted or edited, a user
 * removed, a deployment) is announced here, and every cache that depends on it drops what it
 * holds. This in-process feed makes a change visible to this server's very next request; a
 * PostgreSQL LISTEN/NOTIFY feed implements the same interface so that every server sharing the
 * database hears it too.
 *
 * Services announce a change from inside the transaction that makes it (`transaction`), so other
 * servers hear it atomically with the commit (a committed change is never lost in between, and a
 * rolled-back one is never announced), and this server's caches right after the commit. Domain
 * code stays dialect-free: how the announcement travels is the feed's business.
 */
import type { Kysely, Transaction } from 'kysely';
import type { Database } from './schema.js';

export type Change =
  | { type: 'api-key'; accountId: string; keyId: string; secretHash: string }
  | { type: 'user'; userId: string }
  | { type: 'deploy-target'; accountId: string; deployTargetId: string }
  /** a new snapshot was deployed to a target */
  | { type: 'deployment'; accountId: string; deployTargetId: string; version: number }
  /** the feed lost its connection and may have missed changes: drop every cache */
  | { type: 'resync' };

export type ChangeListener = (change: Change) => void;

/** Announces a change as part of the transaction it was given with. */
export type Publish = (change: Change) => void;

export interface ChangeFeed {
  /** Announces a change already committed (outside any transaction). */
  publish(change: Change): void;
  subscribe(listener: ChangeListener): () => void;
  /**
   * Runs `work` in one transaction on `db`; the changes it passes to `publish` are announced with
   * the commit (to other servers atomically with it, to this server's listeners right after it).
   * If `work` throws, the transaction rolls back and nothing is announced.
   */
  transaction<T>(
    db: Kysely<Database>,
    work: (trx: Transaction<Database>, publish: Publish) => Promise<T>,
  ): Promise<T>;
  /**
   * Whether every change committed from now on will be heard. While false (a shared feed that
   * lost its connection), a cache must not keep what it reads: it could miss the change that makes
   * the entry stale. Always true for the in-process feed.
   */
  isLive(): boolean;
}

/**
 * Runs `work` in a transaction, collecting what it publishes; `beforeCommit` sees the changes
 * inside the transaction (where a shared feed sends them), `afterCommit` once it committed.
 */
export async function announcedTransaction<T>(
  db: Kysely<Database>,
  work: (trx: Transaction<Database>, publish: Publish) => Promise<T>,
  beforeCommit: (trx: Transaction<Database>, changes: Change[]) => Promise<void>,
  afterCommit: (changes: Change[]) => void,
): Promise<T> {
  const changes: Change[] = [];
  const result = await db.transaction().execute(async (trx) => {
    const value = await work(trx, (change) => {
      changes.push(change);
    });
    if (changes.length > 0) await beforeCommit(trx, changes);
    return value;
  });
  if (changes.length > 0) afterCommit(changes);
  return result;
}

export function createLocalChangeFeed(): ChangeFeed {
  const listeners = new Set<ChangeListener>();
  function dispatch(change: Change): void {
    for (const listener of listeners) listener(change);
  }
  return {
    publish: dispatch,
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    transaction(db, work) {
      return announcedTransaction(
        db,
        work,
        async () => {},
        (changes) => {
          for (const change of changes) dispatch(change);
        },
      );
    },
    isLive: () => true,
  };
}
