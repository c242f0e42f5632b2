/**
 * Agents in the store. Name, status and "paused at" are columns; the rest of the definition
 * (metadata keys, variations, conditions, goals) is one JSON column, read and written whole.
 * Every function takes the executor to run on, so the agent service can call them inside the
 * transaction that also deploys the change.
 */
import type { Kysely } from 'kysely';
import type { AgentsTable, Database } from '../store/schema.js';
import type {
  AgentStatus,
  Eligibility,
  Exclusion,
  SnapshotCondition,
  SnapshotVariation,
} from './snapshot.js';

/** What a person defines; the same shape the runtime snapshot holds for an agent. */
export interface AgentDefinition {
  name: string;
  status: AgentStatus;
  /** variation answered while paused; null = the first variation */
  pausedAt: string | null;
  metaKeys: string[];
  variations: SnapshotVariation[];
  conditions: SnapshotCondition[];
  /** goals this agent tracks; null = every goal */
  goals: string[] | null;
  /** aiming (docs/targeting.md): who takes part; absent = everyone */
  eligibility?: Eligibility;
  /** aiming: the mutual-exclusion group and the agent's share of it */
  exclusion?: Exclusion;
  /** aiming: answers QA sessions only */
  qaOnly?: true;
  /** `adaptive`: weights learned from results (policy `a`); absent: random, by the variations' weights */
  allocation?: 'adaptive';
}

export interface Agent extends AgentDefinition {
  code: string;
  version: number;
  createdAt: number;
  updatedAt: number;
}

type StoredDefinition = Pick<
  AgentDefinition,
  'metaKeys' | 'variations' | 'conditions' | 'goals' | 'eligibility' | 'exclusion' | 'qaOnly'
> & {
  /** absent: random (also every agent stored before adaptive allocation existed) */
  allocation?: 'adaptive';
};

function toAgent(row: AgentsTable): Agent {
  const definition = JSON.parse(row.definition) as StoredDefinition;
  return {
    code: row.code,
    name: row.name,
    status: row.status as AgentStatus,
    pausedAt: row.paused_at,
    metaKeys: definition.metaKeys,
    variations: definition.variations,
    conditions: definition.conditions,
    goals: definition.goals,
    ...(definition.eligibility ? { eligibility: definition.eligibility } : {}),
    ...(definition.exclusion ? { exclusion: definition.exclusion } : {}),
    ...(definition.qaOnly ? { qaOnly: true as const } : {}),
    ...(definition.allocation === 'adaptive' ? { allocation: 'adaptive' as const } : {}),
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function selectAgents(db: Kysely<Database>, accountId: string): Promise<Agent[]> {
  const rows = await db
    .selectFrom('agents')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('code')
    .execute();
  return rows.map(toAgent);
}

export async function selectAgent(
  db: Kysely<Database>,
  accountId: string,
  code: string,
): Promise<Agent | undefined> {
  const row = await db
    .selectFrom('agents')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('code', '=', code)
    .executeTakeFirst();
  return row ? toAgent(row) : undefined;
}

/** Inserts a new agent, or replaces the one with its code. */
export async function saveAgent(
  db: Kysely<Database>,
  accountId: string,
  agent: Agent,
  isNew: boolean,
): Promise<void> {
  const stored: StoredDefinition = {
    metaKeys: agent.metaKeys,
    variations: agent.variations,
    conditions: agent.conditions,
    goals: agent.goals,
    ...(agent.eligibility ? { eligibility: agent.eligibility } : {}),
    ...(agent.exclusion ? { exclusion: agent.exclusion } : {}),
    ...(agent.qaOnly ? { qaOnly: true as const } : {}),
    // Only adaptive is written, so agents stored before it existed read back unchanged.
    ...(agent.allocation === 'adaptive' ? { allocation: 'adaptive' as const } : {}),
  };
  const values = {
    name: agent.name,
    status: agent.status,
    paused_at: agent.pausedAt,
    definition: JSON.stringify(stored),
    version: agent.version,
    updated_at: agent.updatedAt,
  };
  if (isNew) {
    await db
      .insertInto('agents')
      .values({ account_id: accountId, code: agent.code, created_at: agent.createdAt, ...values })
      .execute();
  } else {
    await db
      .updateTable('agents')
      .set(values)
      .where('account_id', '=', accountId)
      .where('code', '=', agent.code)
      .execute();
  }
}

export async function deleteAgent(db: Kysely<Database>, accountId: string, code: string): Promise<void> {
  await db.deleteFrom('agents').where('account_id', '=', accountId).where('code', '=', code).execute();
}

/** Codes of the account's agents whose goal list names this goal. */
export async function selectAgentsTrackingGoal(
  db: Kysely<Database>,
  accountId: string,
  goal: string,
): Promise<string[]> {
  const agents = await selectAgents(db, accountId);
  return agents.filter((a) => a.goals?.includes(goal)).map((a) => a.code);
}
