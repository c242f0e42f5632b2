/**
 * The daily aggregates the reports read (`agent_daily_stats`, `goal_daily_stats`, and per custom
 * trait value `trait_daily_stats`, `trait_goal_daily_stats`), written by the
 * group commit beside each counted event. A report sums days, so it costs the same at a thousand
 * events or a hundred million.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface DailyStatsQuery {
  accountId: string;
  agent: string;
  deployTargetId?: string;
  /** first and last day (UTC midnights), inclusive */
  from?: number;
  to?: number;
}

export interface DailyStats {
  /** per deploy target too, so the sample-ratio check can look at each target on its own */
  sessions: Array<{ day: number; variation: string; deploy_target_id: string; sessions: number }>;
  goals: Array<{
    day: number;
    variation: string;
    goal: string;
    conversions: number;
    value_sum: number;
    value_sum_sq: number;
  }>;
}

/** Sessions per day, variation and target, and conversions per day, variation and goal, over every target or one. */
export async function selectDailyStats(db: Kysely<Database>, query: DailyStatsQuery): Promise<DailyStats> {
  let sessionsQuery = db
    .selectFrom('agent_daily_stats')
    .select((eb) => ['day', 'variation', 'deploy_target_id', eb.fn.sum<number>('sessions').as('sessions')])
    .where('account_id', '=', query.accountId)
    .where('agent', '=', query.agent)
    .groupBy(['day', 'variation', 'deploy_target_id']);
  let goalsQuery = db
    .selectFrom('goal_daily_stats')
    .select((eb) => [
      'day',
      'variation',
      'goal',
      eb.fn.sum<number>('conversions').as('conversions'),
      eb.fn.sum<number>('value_sum').as('value_sum'),
      eb.fn.sum<number>('value_sum_sq').as('value_sum_sq'),
    ])
    .where('account_id', '=', query.accountId)
    .where('agent', '=', query.agent)
    .groupBy(['day', 'variation', 'goal']);
  if (query.deployTargetId !== undefined) {
    sessionsQuery = sessionsQuery.where('deploy_target_id', '=', query.deployTargetId);
    goalsQuery = goalsQuery.where('deploy_target_id', '=', query.deployTargetId);
  }
  if (query.from !== undefined) {
    sessionsQuery = sessionsQuery.where('day', '>=', query.from);
    goalsQuery = goalsQuery.where('day', '>=', query.from);
  }
  if (query.to !== undefined) {
    sessionsQuery = sessionsQuery.where('day', '<=', query.to);
    goalsQuery = goalsQuery.where('day', '<=', query.to);
  }
  const [sessions, goals] = await Promise.all([sessionsQuery.execute(), goalsQuery.execute()]);
  return { sessions, goals };
}

/** Whether any session of the agent was ever counted in the account. */
export async function agentEverCounted(
  db: Kysely<Database>,
  accountId: string,
  agent: string,
): Promise<boolean> {
  const row = await db
    .selectFrom('agent_daily_stats')
    .select('agent')
    .where('account_id', '=', accountId)
    .where('agent', '=', agent)
    .limit(1)
    .executeTakeFirst();
  return row !== undefined;
}

export interface TraitStatsQuery extends DailyStatsQuery {
  /** the trait group without its `cust/` prefix (`plan` for `cust/plan`) */
  group: string;
}

export interface TraitStats {
  sessions: Array<{ trait_value: string; variation: string; sessions: number }>;
  goals: Array<{ trait_value: string; variation: string; goal: string; conversions: number }>;
}

/** Sessions and conversions per value of one custom trait group and variation, summed over the days asked. */
export async function selectTraitStats(db: Kysely<Database>, query: TraitStatsQuery): Promise<TraitStats> {
  let sessionsQuery = db
    .selectFrom('trait_daily_stats')
    .select((eb) => ['trait_value', 'variation', eb.fn.sum<number>('sessions').as('sessions')])
    .where('account_id', '=', query.accountId)
    .where('agent', '=', query.agent)
    .where('trait_group', '=', query.group)
    .groupBy(['trait_value', 'variation']);
  let goalsQuery = db
    .selectFrom('trait_goal_daily_stats')
    .select((eb) => ['trait_value', 'variation', 'goal', eb.fn.sum<number>('conversions').as('conversions')])
    .where('account_id', '=', query.accountId)
    .where('agent', '=', query.agent)
    .where('trait_group', '=', query.group)
    .groupBy(['trait_value', 'variation', 'goal']);
  if (query.deployTargetId !== undefined) {
    sessionsQuery = sessionsQuery.where('deploy_target_id', '=', query.deployTargetId);
    goalsQuery = goalsQuery.where('deploy_target_id', '=', query.deployTargetId);
  }
  if (query.from !== undefined) {
    sessionsQuery = sessionsQuery.where('day', '>=', query.from);
    goalsQuery = goalsQuery.where('day', '>=', query.from);
  }
  if (query.to !== undefined) {
    sessionsQuery = sessionsQuery.where('day', '<=', query.to);
    goalsQuery = goalsQuery.where('day', '<=', query.to);
  }
  const [sessions, goals] = await Promise.all([sessionsQuery.execute(), goalsQuery.execute()]);
  return { sessions, goals };
}
