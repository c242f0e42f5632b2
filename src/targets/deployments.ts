/**
 * Deployments: what each deploy target serves.
 *
 * An account's agents and goals form its configuration, versioned by one counter
 * (`configurations.version`, 0 before the first change). Every change bumps it, in the same
 * transaction as the change, under that row's lock, so concurrent changes of one account are
 * serialized and each version names exactly one configuration.
 *
 * A deployment points a target at an immutable snapshot of one version (`deploy_targets.
 * deployed_version`). Snapshots live in one table keyed by account and version, shared by every
 * target deployed with that version (the REST and the JS target of an account usually are), rather
 * than copied per target. `automatic` targets are deployed in the transaction of every change;
 * `manual` ones only by `deploy` ("Deploy now"). Snapshots no target serves any more are pruned,
 * except the current version's.
 *
 * Each deployment is announced on the change feed from inside its transaction (`deployment`, and
 * `deploy-target` so cached target records show the new version): every server's deployed-snapshot
 * cache hears it with the commit.
 */
import type { Kysely } from 'kysely';
import { type AdaptiveWeights, selectLatestAdaptiveWeights } from '../agents/adaptive-weights-store.js';
import { type Agent, selectAgents } from '../agents/agent-store.js';
import type { ConfigurationChanges } from '../agents/configuration.js';
import { type Goal, selectGoals } from '../agents/goal-store.js';
import type { Snapshot, SnapshotAgent, SnapshotGoal } from '../agents/snapshot.js';
import { selectTraits, type Trait } from '../agents/traits.js';
import type { ActorLike, AuditRecorder } from '../audit/audit-log.js';
import { NotFoundError } from '../kernel/errors.js';
import type { ChangeFeed, Publish } from '../store/changes.js';
import type { Database } from '../store/schema.js';
import type { DeployTarget, TargetDeployer } from './deploy-targets.js';

export interface Deployment {
  accountId: string;
  deployTargetId: string;
  /** the configuration version the target now serves */
  version: number;
  deployedAt: number;
}

export interface DeploymentService extends TargetDeployer, ConfigurationChanges {
  /** The account's configuration version: 0 until its agents or goals first change. */
  configurationVersion(accountId: string): Promise<number>;
  /**
   * "Deploy now": points the target at the current configuration. A target already serving it is
   * left as it is (its `deployedAt` keeps the time it was deployed).
   */
  deploy(accountId: string, deployTargetId: string, by?: ActorLike): Promise<Deployment>;
}

/** The runtime's view of agents and goals at one version (server-managed fields left out). */
export function toSnapshot(
  version: number,
  agents: Agent[],
  goals: Goal[],
  traits: Trait[] = [],
  adaptive: Map<string, AdaptiveWeights> = new Map(),
): Snapshot {
  const snapshot: Snapshot = { version, agents: {}, goals: {} };
  for (const agent of agents) {
    const entry: SnapshotAgent = {
      code: agent.code,
      name: agent.name,
      status: agent.status,
      pausedAt: agent.pausedAt,
      metaKeys: agent.metaKeys,
      variations: agent.variations,
      conditions: agent.conditions,
      goals: agent.goals,
      ...(agent.eligibility ? { eligibility: agent.eligibility } : {}),
      ...(agent.exclusion ? { exclusion: agent.exclusion } : {}),
      ...(agent.qaOnly ? { qaOnly: true as const } : {}),
    };
    if (agent.allocation === 'adaptive') {
      entry.allocation = 'adaptive';
      const learned = adaptive.get(agent.code);
      if (learned) entry.adaptiveWeights = learned.weights;
    }
    snapshot.agents[agent.code] = entry;
  }
  for (const goal of goals) {
    const entry: SnapshotGoal = { code: goal.code, name: goal.name, value: goal.value };
    snapshot.goals[goal.code] = entry;
  }
  // Only accounts that define traits carry the field: other snapshots keep their shape.
  if (traits.length > 0) snapshot.traits = traits.map((t) => ({ group: t.group, rules: t.rules }));
  return snapshot;
}

export function createDeploymentService(
  db: Kysely<Database>,
  changes: ChangeFeed,
  audit: AuditRecorder,
): DeploymentService {
  /**
   * Takes the account's configuration lock for the rest of the transaction (a row update blocks
   * other writers of the row on PostgreSQL; SQLite runs one write transaction at a time anyway)
   * and answers the version, bumped first when `bump`.
   */
  async function lockConfiguration(trx: Kysely<Database>, accountId: string, bump: boolean, now: number) {
    await trx
      .insertInto('configurations')
      .values({ account_id: accountId, version: 0, changed_at: now })
      .onConflict((oc) => oc.column('account_id').doNothing())
      .execute();
    const row = await trx
      .updateTable('configurations')
      .set((eb) =>
        bump ? { version: eb('version', '+', 1), changed_at: now } : { version: eb.ref('version') },
      )
      .where('account_id', '=', accountId)
      .returning('version')
      .executeTakeFirstOrThrow();
    return row.version;
  }

  /** Points targets at the snapshot of `version`, making it first if no target serves it yet. */
  async function deployTo(
    trx: Kysely<Database>,
    accountId: string,
    targetIds: string[],
    version: number,
    now: number,
  ): Promise<Deployment[]> {
    if (targetIds.length === 0) return [];
    const existing = await trx
      .selectFrom('snapshots')
      .select('version')
      .where('account_id', '=', accountId)
      .where('version', '=', version)
      .executeTakeFirst();
    if (!existing) {
      const [agents, goals, traits, adaptive] = [
        await selectAgents(trx, accountId),
        await selectGoals(trx, accountId),
        await selectTraits(trx, accountId),
        await selectLatestAdaptiveWeights(trx, accountId, version),
      ];
      await trx
        .insertInto('snapshots')
        .values({
          account_id: accountId,
          version,
          body: JSON.stringify(toSnapshot(version, agents, goals, traits, adaptive)),
          created_at: now,
        })
        .execute();
    }
    await trx
      .updateTable('deploy_targets')
      .set({ deployed_version: version, deployed_at: now })
      .where('account_id', '=', accountId)
      .where('id', 'in', targetIds)
      .execute();
    // Older snapshots that no target serves any more will never be read again.
    await trx
      .deleteFrom('snapshots')
      .where('account_id', '=', accountId)
      .where('version', '<>', version)
      .where((eb) =>
        eb.not(
          eb.exists(
            eb
              .selectFrom('deploy_targets')
              .select('deploy_targets.id')
              .whereRef('deploy_targets.account_id', '=', 'snapshots.account_id')
              .whereRef('deploy_targets.deployed_version', '=', 'snapshots.version'),
          ),
        ),
      )
      .execute();
    return targetIds.map((deployTargetId) => ({ accountId, deployTargetId, version, deployedAt: now }));
  }

  // The target record first: whoever sees the new snapshot then also sees the new deployedVersion.
  function announce(publish: Publish, deployments: Deployment[]): void {
    for (const { accountId, deployTargetId, version } of deployments) {
      publish({ type: 'deploy-target', accountId, deployTargetId });
      publish({ type: 'deployment', accountId, deployTargetId, version });
    }
  }

  return {
    async configurationVersion(accountId) {
      const row = await db
        .selectFrom('configurations')
        .select('version')
        .where('account_id', '=', accountId)
        .executeTakeFirst();
      return row?.version ?? 0;
    },

    change(accountId, apply) {
      return changes.transaction(db, async (trx, publish) => {
        const now = Date.now();
        const version = await lockConfiguration(trx, accountId, true, now);
        const applied = await apply(trx, version);
        const automatic = await trx
          .selectFrom('deploy_targets')
          .select('id')
          .where('account_id', '=', accountId)
          .where('deploy_mode', '=', 'automatic')
          .orderBy('id')
          .execute();
        const deployments = await deployTo(
          trx,
          accountId,
          automatic.map((t) => t.id),
          version,
          now,
        );
        announce(publish, deployments);
        return applied;
      });
    },

    deploy(accountId, deployTargetId, by) {
      return changes.transaction(db, async (trx, publish) => {
        const now = Date.now();
        const version = await lockConfiguration(trx, accountId, false, now);
        const target = await trx
          .selectFrom('deploy_targets')
          .select(['deployed_version', 'deployed_at'])
          .where('account_id', '=', accountId)
          .where('id', '=', deployTargetId)
          .executeTakeFirst();
        if (!target) {
          throw new NotFoundError(
            'deploy_target_not_found',
            `No deploy target ${deployTargetId} in this account`,
          );
        }
        if (target.deployed_version === version && target.deployed_at !== null) {
          return { accountId, deployTargetId, version, deployedAt: target.deployed_at };
        }
        const deployments = await deployTo(trx, accountId, [deployTargetId], version, now);
        await audit.record(
          trx,
          by,
          {
            accountId,
            action: 'deploy-target.deploy',
            targetType: 'deploy-target',
            targetId: deployTargetId,
            before: { deployedVersion: target.deployed_version },
            after: { deployedVersion: version },
          },
          now,
        );
        announce(publish, deployments);
        return deployments[0];
      });
    },

    writeTarget(accountId, write) {
      return changes.transaction(db, async (trx, publish): Promise<DeployTarget> => {
        const now = Date.now();
        const version = await lockConfiguration(trx, accountId, false, now);
        const target = await write(trx);
        publish({ type: 'deploy-target', accountId, deployTargetId: target.id });
        if (target.deployMode !== 'automatic' || target.deployedVersion === version) return target;
        const deployments = await deployTo(trx, accountId, [target.id], version, now);
        announce(publish, deployments);
        return { ...target, deployedVersion: version, deployedAt: now };
      });
    },
  };
}
