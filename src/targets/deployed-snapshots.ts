import type { Snapshot } from '../agents/snapshot.js';

/**
 * What the runtime and the script tag read: the immutable snapshot last deployed to a target.
 * Implemented by the deployments module (cached, evicted by `deployment` changes); the runtime
 * never reads the live agent tables.
 */
export interface DeployedSnapshots {
  /** the snapshot deployed to a target, or null when nothing has been deployed to it yet */
  get(accountId: string, deployTargetId: string): Promise<Snapshot | null>;
  /** deploy targets whose snapshot is held in memory, and their size (JSON length) */
  stats(): { targets: number; bytes: number };
}
