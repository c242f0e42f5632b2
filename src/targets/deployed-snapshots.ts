/**
 * The deployed snapshots the runtime reads on every request, from memory. A miss reads the
 * target's deployed version and its snapshot in one statement (so a concurrent deployment or
 * prune cannot pair a version with a missing snapshot); targets deployed with the same version
 * share one parsed, frozen snapshot. `deployment`, `deploy-target` and `resync` changes evict; a
 * read that was in flight when its target changed does not put its stale answer back.
 */
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import type { Snapshot } from '../agents/snapshot.js';
import type { ChangeFeed } from '../store/changes.js';
import type { Database } from '../store/schema.js';

/**
 * What the runtime and the script tag read: the immutable snapshot last deployed to a target.
 * Held in memory here (evicted by `deployment` changes); the runtime
 * never reads the live agent tables.
 */
export interface DeployedSnapshots {
  /** the snapshot deployed to a target, or null when nothing has been deployed to it yet */
  get(accountId: string, deployTargetId: string): Promise<Snapshot | null>;
  /**
   * What `get` would answer without a read: the snapshot held in memory, while the change feed
   * is live; undefined when only `get` can tell.
   */
  peek(accountId: string, deployTargetId: string): Snapshot | null | undefined;
  /** deploy targets whose snapshot is held in memory, and their size (JSON length) */
  stats(): { targets: number; bytes: number };
}

export interface DeployedSnapshotsOptions {
  /** targets remembered (default 10,000) */
  maxTargets?: number;
  /** total size of the snapshots held, measured as their JSON length (default 256 MB) */
  maxBytes?: number;
}

interface Entry {
  snapshot: Snapshot | null;
  bytes: number;
}

const NOTHING_DEPLOYED: Entry = { snapshot: null, bytes: 1 };

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

export function createDeployedSnapshots(
  db: Kysely<Database>,
  changes: ChangeFeed,
  options: DeployedSnapshotsOptions = {},
): DeployedSnapshots {
  const maxBytes = options.maxBytes ?? 256 * 1024 * 1024;
  const byTarget = new LRUCache<string, Entry>({
    max: options.maxTargets ?? 10_000,
    maxSize: maxBytes,
    sizeCalculation: (entry) => entry.bytes,
  });
  // Parsed snapshots by account and version, so targets serving one version share one object.
  const byVersion = new LRUCache<string, Entry>({
    max: 1_000,
    maxSize: maxBytes,
    sizeCalculation: (e) => e.bytes,
  });
  const inflight = new Map<string, Promise<Entry>>();

  const keyOf = (accountId: string, deployTargetId: string) => `${accountId} ${deployTargetId}`;

  changes.subscribe((change) => {
    if (change.type === 'deployment' || change.type === 'deploy-target') {
      const key = keyOf(change.accountId, change.deployTargetId);
      byTarget.delete(key);
      inflight.delete(key);
    } else if (change.type === 'resync') {
      byTarget.clear();
      inflight.clear();
    }
  });

  async function load(accountId: string, deployTargetId: string): Promise<Entry> {
    const row = await db
      .selectFrom('deploy_targets')
      .leftJoin('snapshots', (join) =>
        join
          .onRef('snapshots.account_id', '=', 'deploy_targets.account_id')
          .onRef('snapshots.version', '=', 'deploy_targets.deployed_version'),
      )
      .select(['deploy_targets.deployed_version as version', 'snapshots.body as body'])
      .where('deploy_targets.account_id', '=', accountId)
      .where('deploy_targets.id', '=', deployTargetId)
      .executeTakeFirst();
    if (!row || row.version === null || row.body === null) return NOTHING_DEPLOYED;
    const versionKey = `${accountId} ${row.version}`;
    const shared = byVersion.get(versionKey);
    if (shared) return shared;
    const entry: Entry = { snapshot: deepFreeze(JSON.parse(row.body) as Snapshot), bytes: row.body.length };
    byVersion.set(versionKey, entry);
    return entry;
  }

  return {
    peek(accountId, deployTargetId) {
      if (!changes.isLive()) return undefined;
      return byTarget.get(keyOf(accountId, deployTargetId))?.snapshot;
    },
    async get(accountId, deployTargetId) {
      const key = keyOf(accountId, deployTargetId);
      // A feed that cannot prove it is live may have missed a deployment: read for this request.
      if (!changes.isLive()) return (await load(accountId, deployTargetId)).snapshot;
      const hit = byTarget.get(key);
      if (hit) return hit.snapshot;
      let pending = inflight.get(key);
      if (!pending) {
        const loading = load(accountId, deployTargetId).then((entry) => {
          // Evicted while loading (the entry was dropped from `inflight`), or read while the feed
          // may be missing changes: answer, but do not keep.
          if (inflight.get(key) === loading) {
            inflight.delete(key);
            if (changes.isLive()) byTarget.set(key, entry);
          }
          return entry;
        });
        loading.catch(() => {
          if (inflight.get(key) === loading) inflight.delete(key);
        });
        inflight.set(key, loading);
        pending = loading;
      }
      return (await pending).snapshot;
    },
    stats() {
      return { targets: byTarget.size, bytes: byTarget.calculatedSize };
    },
  };
}
