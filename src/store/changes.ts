/**
 * Change notifications: after a change that affects access or answers (a key deleted or edited,
 * a user removed, a deployment) commits, the service publishes it here and every cache that
 * depends on it drops what it holds. This in-process feed makes a change visible to this
 * server's very next request; a PostgreSQL LISTEN/NOTIFY feed implements the same interface so
 * that every server sharing the database hears it too.
 */
export type Change =
  | { type: 'api-key'; accountId: string; keyId: string; secretHash: string }
  | { type: 'user'; userId: string }
  | { type: 'deploy-target'; accountId: string; deployTargetId: string }
  /** a new snapshot was deployed to a target */
  | { type: 'deployment'; accountId: string; deployTargetId: string; version: number }
  /** the feed lost its connection and may have missed changes: drop every cache */
  | { type: 'resync' };

export type ChangeListener = (change: Change) => void;

export interface ChangeFeed {
  publish(change: Change): void;
  subscribe(listener: ChangeListener): () => void;
}

export function createLocalChangeFeed(): ChangeFeed {
  const listeners = new Set<ChangeListener>();
  return {
    publish(change) {
      for (const listener of listeners) listener(change);
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
