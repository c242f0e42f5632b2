/**
 * Writes one group-commit batch in one transaction: visitor states, the event log, and the
 * report aggregates that the new events change. Dialect-neutral (Kysely); a batch costs a
 * handful of multi-row statements whatever its size.
 *
 * Counting rules, enforced here so they hold whoever recorded an event (this server, another
 * server on the same database, a browser's beacon):
 * - a selection counts once per account, agent and session: the first one recorded wins;
 * - a reward counts once per account, agent, goal and session, and only for a session that has a
 *   counted selection of that agent. It is credited to that selection's variation, deploy target
 *   and day (its cohort), so for any days and target a report has conversions ≤ sessions.
 * Only rows actually inserted (RETURNING) touch the aggregates, so a replay changes nothing.
 *
 * Trait breakdowns: a counted selection also adds a session to `trait_daily_stats` for each
 * `cust/GROUP:VALUE` trait it carries, and keeps those traits, so its rewards add to
 * `trait_goal_daily_stats` under the same values (the ones the session was counted with, even if
 * its traits change later).
 */
import type { Kysely, Transaction } from 'kysely';
import { DAY_MS } from '../kernel/days.js';
import { chunks } from '../store/chunks.js';
import type { Database } from '../store/schema.js';
import { valuesTable } from '../store/values-table.js';

/** UTC midnight of the day `at` falls on, in epoch milliseconds. */
export function dayOf(at: number): number {
  return Math.floor(at / DAY_MS) * DAY_MS;
}

export interface VisitorWrite {
  accountId: string;
  session: string;
  /** the engine's visitor state, as JSON */
  state: string;
  at: number;
}

export interface SelectionRecord {
  accountId: string;
  deployTargetId: string;
  session: string;
  agent: string;
  variation: string;
  at: number;
  /**
   * the session's `cust/` traits when selected, for report breakdowns; absent = none known (the
   * script tag's beacons leave them out)
   */
  traits?: string[];
}

export interface RewardRecord {
  accountId: string;
  /** where the reward arrived; the aggregates use the selection's target instead */
  deployTargetId: string;
  session: string;
  agent: string;
  goal: string;
  value: number;
  at: number;
}

/** What one request (or one beacon) asks to record. */
export interface EventWrite {
  visitor?: VisitorWrite;
  selections: SelectionRecord[];
  rewards: RewardRecord[];
}

export interface BatchOutcome {
  selectionsCounted: number;
  rewardsCounted: number;
}

const SEP = '\u0000';

/** `cust/GROUP:VALUE` traits as group and value, each once (others are not broken down). */
export function customTraits(traits: readonly string[] | undefined): { group: string; value: string }[] {
  const seen = new Set<string>();
  const out: { group: string; value: string }[] = [];
  for (const trait of traits ?? []) {
    if (!trait.startsWith('cust/') || seen.has(trait)) continue;
    const colon = trait.indexOf(':');
    if (colon <= 5 || colon === trait.length - 1) continue;
    seen.add(trait);
    out.push({ group: trait.slice(5, colon), value: trait.slice(colon + 1) });
  }
  return out;
}

/** What a selection row keeps of its traits: null when it has no custom trait. */
export function storedTraits(traits: readonly string[] | undefined): string | null {
  const kept = customTraits(traits);
  return kept.length > 0 ? JSON.stringify(kept.map((t) => `cust/${t.group}:${t.value}`)) : null;
}

/** The stored list back; a malformed one (hand-edited store) breaks nothing down. */
export function parseStoredTraits(stored: string | null | undefined): { group: string; value: string }[] {
  if (!stored) return [];
  try {
    const list: unknown = JSON.parse(stored);
    return Array.isArray(list) ? customTraits(list.filter((t): t is string => typeof t === 'string')) : [];
  } catch {
    return [];
  }
}

function inKeyOrder<T>(rows: Map<string, T>): T[] {
  return [...rows.keys()].sort().map((key) => rows.get(key) as T);
}

/**
 * A batch's rows, each once, in key order: the last state of a session (requests of one session
 * are serialized by the caller, so the later one in the batch carries the later state), the first
 * selection and reward of each key. Rows go in key order, tables in one order, so two servers
 * committing overlapping batches on PostgreSQL take their row locks in the same order and cannot
 * deadlock.
 */
export function dedupeBatch(writes: EventWrite[]): {
  visitors: VisitorWrite[];
  selections: SelectionRecord[];
  rewards: RewardRecord[];
} {
  const visitors = new Map<string, VisitorWrite>();
  const selections = new Map<string, SelectionRecord>();
  const rewards = new Map<string, RewardRecord>();
  for (const write of writes) {
    if (write.visitor) visitors.set(write.visitor.accountId + SEP + write.visitor.session, write.visitor);
    for (const s of write.selections) {
      const key = s.accountId + SEP + s.agent + SEP + s.session;
      if (!selections.has(key)) selections.set(key, s);
    }
    for (const r of write.rewards) {
      const key = r.accountId + SEP + r.agent + SEP + r.goal + SEP + r.session;
      if (!rewards.has(key)) rewards.set(key, r);
    }
  }
  return { visitors: inKeyOrder(visitors), selections: inKeyOrder(selections), rewards: inKeyOrder(rewards) };
}

export async function commitEvents(db: Kysely<Database>, writes: EventWrite[]): Promise<BatchOutcome> {
  const { visitors, selections, rewards } = dedupeBatch(writes);
  if (visitors.length === 0 && selections.length === 0 && rewards.length === 0) {
    return { selectionsCounted: 0, rewardsCounted: 0 };
  }
  return db.transaction().execute(async (trx) => {
    await writeVisitors(trx, visitors);
    const selectionsCounted = await writeSelections(trx, selections);
    const rewardsCounted = await writeRewards(trx, rewards);
    return { selectionsCounted, rewardsCounted };
  });
}

async function writeVisitors(trx: Transaction<Database>, rows: VisitorWrite[]): Promise<void> {
  for (const chunk of chunks(rows)) {
    await trx
      .insertInto('visitors')
      .values(
        chunk.map((v) => ({ account_id: v.accountId, session: v.session, state: v.state, updated_at: v.at })),
      )
      .onConflict((oc) =>
        oc.columns(['account_id', 'session']).doUpdateSet((eb) => ({
          state: eb.ref('excluded.state'),
          updated_at: eb.ref('excluded.updated_at'),
        })),
      )
      .execute();
  }
}

async function writeSelections(trx: Transaction<Database>, rows: SelectionRecord[]): Promise<number> {
  const sessions = new Map<string, Database['agent_daily_stats']>();
  const traitSessions = new Map<string, Database['trait_daily_stats']>();
  let counted = 0;
  for (const chunk of chunks(rows)) {
    const inserted = await trx
      .insertInto('selection_events')
      .values(
        chunk.map((s) => ({
          account_id: s.accountId,
          agent: s.agent,
          session: s.session,
          variation: s.variation,
          deploy_target_id: s.deployTargetId,
          day: dayOf(s.at),
          at: s.at,
          traits: storedTraits(s.traits),
        })),
      )
      .onConflict((oc) => oc.columns(['account_id', 'agent', 'session']).doNothing())
      .returning(['account_id', 'agent', 'deploy_target_id', 'day', 'variation', 'traits'])
      .execute();
    counted += inserted.length;
    for (const { traits, ...row } of inserted) {
      const key = [row.account_id, row.agent, row.deploy_target_id, row.day, row.variation].join(SEP);
      const agg = sessions.get(key);
      if (agg) agg.sessions++;
      else sessions.set(key, { ...row, sessions: 1 });
      for (const t of parseStoredTraits(traits)) {
        const traitKey = [key, t.group, t.value].join(SEP);
        const traitAgg = traitSessions.get(traitKey);
        if (traitAgg) traitAgg.sessions++;
        else traitSessions.set(traitKey, { ...row, trait_group: t.group, trait_value: t.value, sessions: 1 });
      }
    }
  }
  for (const chunk of chunks(inKeyOrder(traitSessions))) {
    await trx
      .insertInto('trait_daily_stats')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns([
            'account_id',
            'agent',
            'trait_group',
            'deploy_target_id',
            'day',
            'variation',
            'trait_value',
          ])
          .doUpdateSet((eb) => ({
            sessions: eb('trait_daily_stats.sessions', '+', eb.ref('excluded.sessions')),
          })),
      )
      .execute();
  }
  for (const chunk of chunks(inKeyOrder(sessions))) {
    await trx
      .insertInto('agent_daily_stats')
      .values(chunk)
      .onConflict((oc) =>
        oc.columns(['account_id', 'agent', 'deploy_target_id', 'day', 'variation']).doUpdateSet((eb) => ({
          sessions: eb('agent_daily_stats.sessions', '+', eb.ref('excluded.sessions')),
        })),
      )
      .execute();
  }
  return counted;
}

async function writeRewards(trx: Transaction<Database>, rows: RewardRecord[]): Promise<number> {
  if (rows.length === 0) return 0;
  // The counted selection of each (account, agent, session): a reward is credited to it, or not at all.
  const cohorts = new Map<
    string,
    { variation: string; deploy_target_id: string; day: number; traits?: string | null }
  >();
  const lookups = new Map<string, RewardRecord>();
  for (const r of rows) lookups.set(r.accountId + SEP + r.agent + SEP + r.session, r);
  for (const chunk of chunks(inKeyOrder(lookups))) {
    // Joined to the keys (store/values-table.ts): each one primary-key lookup, analyzed or not.
    const keys = valuesTable<{ column1: string; column2: string; column3: string }, 'k'>(
      'k',
      chunk.map((r) => [r.accountId, r.agent, r.session]),
    );
    const found = await trx
      .selectFrom('selection_events as s')
      .innerJoin(keys, (join) =>
        join
          .onRef('s.account_id', '=', 'k.column1')
          .onRef('s.agent', '=', 'k.column2')
          .onRef('s.session', '=', 'k.column3'),
      )
      .select([
        's.account_id',
        's.agent',
        's.session',
        's.variation',
        's.deploy_target_id',
        's.day',
        's.traits',
      ])
      .execute();
    for (const row of found) cohorts.set(row.account_id + SEP + row.agent + SEP + row.session, row);
  }

  const creditable = rows.flatMap((r) => {
    const cohort = cohorts.get(r.accountId + SEP + r.agent + SEP + r.session);
    return cohort
      ? [
          {
            account_id: r.accountId,
            agent: r.agent,
            goal: r.goal,
            session: r.session,
            variation: cohort.variation,
            deploy_target_id: cohort.deploy_target_id,
            day: cohort.day,
            value: r.value,
            at: r.at,
          },
        ]
      : [];
  });

  const goals = new Map<string, Database['goal_daily_stats']>();
  const traitGoals = new Map<string, Database['trait_goal_daily_stats']>();
  let counted = 0;
  for (const chunk of chunks(creditable)) {
    const inserted = await trx
      .insertInto('reward_events')
      .values(chunk)
      .onConflict((oc) => oc.columns(['account_id', 'agent', 'goal', 'session']).doNothing())
      .returning(['account_id', 'agent', 'session', 'deploy_target_id', 'day', 'variation', 'goal', 'value'])
      .execute();
    counted += inserted.length;
    for (const row of inserted) {
      const cohort = cohorts.get(row.account_id + SEP + row.agent + SEP + row.session);
      for (const t of parseStoredTraits(cohort?.traits)) {
        const traitKey = [row.account_id, row.agent, row.deploy_target_id, row.day, row.variation]
          .concat([t.group, t.value, row.goal])
          .join(SEP);
        const traitAgg = traitGoals.get(traitKey);
        if (traitAgg) traitAgg.conversions++;
        else
          traitGoals.set(traitKey, {
            account_id: row.account_id,
            agent: row.agent,
            deploy_target_id: row.deploy_target_id,
            day: row.day,
            variation: row.variation,
            trait_group: t.group,
            trait_value: t.value,
            goal: row.goal,
            conversions: 1,
          });
      }
      const key = [row.account_id, row.agent, row.deploy_target_id, row.day, row.variation, row.goal].join(
        SEP,
      );
      const agg = goals.get(key);
      if (agg) {
        agg.conversions++;
        agg.value_sum += row.value;
        agg.value_sum_sq += row.value * row.value;
      } else {
        goals.set(key, {
          account_id: row.account_id,
          agent: row.agent,
          deploy_target_id: row.deploy_target_id,
          day: row.day,
          variation: row.variation,
          goal: row.goal,
          conversions: 1,
          value_sum: row.value,
          value_sum_sq: row.value * row.value,
        });
      }
    }
  }
  for (const chunk of chunks(inKeyOrder(goals))) {
    await trx
      .insertInto('goal_daily_stats')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns(['account_id', 'agent', 'deploy_target_id', 'day', 'variation', 'goal'])
          .doUpdateSet((eb) => ({
            conversions: eb('goal_daily_stats.conversions', '+', eb.ref('excluded.conversions')),
            value_sum: eb('goal_daily_stats.value_sum', '+', eb.ref('excluded.value_sum')),
            value_sum_sq: eb('goal_daily_stats.value_sum_sq', '+', eb.ref('excluded.value_sum_sq')),
          })),
      )
      .execute();
  }
  for (const chunk of chunks(inKeyOrder(traitGoals))) {
    await trx
      .insertInto('trait_goal_daily_stats')
      .values(chunk)
      .onConflict((oc) =>
        oc
          .columns([
            'account_id',
            'agent',
            'trait_group',
            'deploy_target_id',
            'day',
            'variation',
            'trait_value',
            'goal',
          ])
          .doUpdateSet((eb) => ({
            conversions: eb('trait_goal_daily_stats.conversions', '+', eb.ref('excluded.conversions')),
          })),
      )
      .execute();
  }
  return counted;
}
