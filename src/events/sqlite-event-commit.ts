/**
 * `commitEvents` for the SQLite commit thread, on prepared statements: the same rows, counts and
 * aggregates, without building and compiling multi-row statements for every batch, which cost
 * that thread several times what SQLite's own work did (bench: a batch of 26 new sessions,
 * 1.1–1.8 ms against 0.3–0.4 ms before its fsync). The counting rules are event-store.ts's, and
 * its tests run against both.
 */
import type { SqliteConnection } from '../store/connect.js';
import {
  type BatchOutcome,
  dayOf,
  dedupeBatch,
  type EventWrite,
  parseStoredTraits,
  storedTraits,
} from './event-store.js';

const SEP = '\u0000';

export type SqliteCommit = (writes: EventWrite[]) => BatchOutcome;

/** Prepares its statements on the first batch (the tables exist once the server has migrated). */
export function createSqliteCommit(sqlite: SqliteConnection): SqliteCommit {
  let prepared: SqliteCommit | null = null;
  return (writes) => {
    prepared ??= prepare(sqlite);
    return prepared(writes);
  };
}

function prepare(sqlite: SqliteConnection): SqliteCommit {
  const upsertVisitor = sqlite.prepare(
    `insert into visitors (account_id, session, state, updated_at) values (?, ?, ?, ?)
     on conflict (account_id, session) do update set state = excluded.state, updated_at = excluded.updated_at`,
  );
  const insertSelection = sqlite.prepare(
    `insert into selection_events (account_id, agent, session, variation, deploy_target_id, day, at, traits)
     values (?, ?, ?, ?, ?, ?, ?, ?) on conflict (account_id, agent, session) do nothing`,
  );
  const addTraitSessions = sqlite.prepare(
    `insert into trait_daily_stats
       (account_id, agent, deploy_target_id, day, variation, trait_group, trait_value, sessions)
     values (?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (account_id, agent, trait_group, deploy_target_id, day, variation, trait_value)
     do update set sessions = trait_daily_stats.sessions + excluded.sessions`,
  );
  const addTraitConversions = sqlite.prepare(
    `insert into trait_goal_daily_stats
       (account_id, agent, deploy_target_id, day, variation, trait_group, trait_value, goal, conversions)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (account_id, agent, trait_group, deploy_target_id, day, variation, trait_value, goal)
     do update set conversions = trait_goal_daily_stats.conversions + excluded.conversions`,
  );
  const addSessions = sqlite.prepare(
    `insert into agent_daily_stats (account_id, agent, deploy_target_id, day, variation, sessions)
     values (?, ?, ?, ?, ?, ?)
     on conflict (account_id, agent, deploy_target_id, day, variation)
     do update set sessions = agent_daily_stats.sessions + excluded.sessions`,
  );
  const cohortOf = sqlite.prepare<
    [string, string, string],
    { variation: string; deploy_target_id: string; day: number; traits: string | null }
  >(
    `select variation, deploy_target_id, day, traits from selection_events
     where account_id = ? and agent = ? and session = ?`,
  );
  const insertReward = sqlite.prepare(
    `insert into reward_events (account_id, agent, goal, session, variation, deploy_target_id, day, value, at)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?) on conflict (account_id, agent, goal, session) do nothing`,
  );
  const addConversions = sqlite.prepare(
    `insert into goal_daily_stats
       (account_id, agent, deploy_target_id, day, variation, goal, conversions, value_sum, value_sum_sq)
     values (?, ?, ?, ?, ?, ?, ?, ?, ?)
     on conflict (account_id, agent, deploy_target_id, day, variation, goal) do update set
       conversions = goal_daily_stats.conversions + excluded.conversions,
       value_sum = goal_daily_stats.value_sum + excluded.value_sum,
       value_sum_sq = goal_daily_stats.value_sum_sq + excluded.value_sum_sq`,
  );

  const commit = sqlite.transaction(({ visitors, selections, rewards }: ReturnType<typeof dedupeBatch>) => {
    for (const v of visitors) upsertVisitor.run(v.accountId, v.session, v.state, v.at);

    const sessions = new Map<string, { key: unknown[]; count: number }>();
    const traitSessions = new Map<string, { key: unknown[]; count: number }>();
    const add = (to: Map<string, { key: unknown[]; count: number }>, key: unknown[]) => {
      const id = key.join(SEP);
      const agg = to.get(id);
      if (agg) agg.count++;
      else to.set(id, { key, count: 1 });
    };
    const flush = (from: Map<string, { key: unknown[]; count: number }>, statement: typeof addSessions) => {
      for (const id of [...from.keys()].sort()) {
        const agg = from.get(id) as { key: unknown[]; count: number };
        statement.run([...agg.key, agg.count]);
      }
    };
    let selectionsCounted = 0;
    for (const s of selections) {
      const day = dayOf(s.at);
      const traits = storedTraits(s.traits);
      const row = [s.accountId, s.agent, s.session, s.variation, s.deployTargetId, day, s.at, traits];
      if (insertSelection.run(row).changes === 0) continue;
      selectionsCounted++;
      const key = [s.accountId, s.agent, s.deployTargetId, day, s.variation];
      add(sessions, key);
      for (const t of parseStoredTraits(traits)) add(traitSessions, [...key, t.group, t.value]);
    }
    flush(sessions, addSessions);
    flush(traitSessions, addTraitSessions);

    const goals = new Map<string, { key: unknown[]; conversions: number; sum: number; sumSq: number }>();
    const traitGoals = new Map<string, { key: unknown[]; count: number }>();
    let rewardsCounted = 0;
    for (const r of rewards) {
      // Credited to the session's counted selection of the agent (this batch's included), or not at all.
      const cohort = cohortOf.get(r.accountId, r.agent, r.session);
      if (!cohort) continue;
      const inserted = insertReward.run(
        r.accountId,
        r.agent,
        r.goal,
        r.session,
        cohort.variation,
        cohort.deploy_target_id,
        cohort.day,
        r.value,
        r.at,
      );
      if (inserted.changes === 0) continue;
      rewardsCounted++;
      const key = [r.accountId, r.agent, cohort.deploy_target_id, cohort.day, cohort.variation, r.goal];
      for (const t of parseStoredTraits(cohort.traits))
        add(traitGoals, [...key.slice(0, 5), t.group, t.value, r.goal]);
      const id = key.join(SEP);
      const agg = goals.get(id);
      if (agg) {
        agg.conversions++;
        agg.sum += r.value;
        agg.sumSq += r.value * r.value;
      } else goals.set(id, { key, conversions: 1, sum: r.value, sumSq: r.value * r.value });
    }
    for (const id of [...goals.keys()].sort()) {
      const agg = goals.get(id) as { key: unknown[]; conversions: number; sum: number; sumSq: number };
      addConversions.run([...agg.key, agg.conversions, agg.sum, agg.sumSq]);
    }
    flush(traitGoals, addTraitConversions);
    return { selectionsCounted, rewardsCounted };
  });
  return (writes) => {
    const rows = dedupeBatch(writes);
    if (rows.visitors.length === 0 && rows.selections.length === 0 && rows.rewards.length === 0) {
      return { selectionsCounted: 0, rewardsCounted: 0 };
    }
    // IMMEDIATE: the write lock is taken at BEGIN, where SQLite waits for it (busy_timeout). A
    // batch of rewards reads each one's selection before its first write, and a deferred
    // transaction that has read is refused at once (SQLITE_BUSY) if another connection holds the
    // lock when it comes to write, even for a moment (a reader that finds the WAL's index
    // mid-update takes it): under load, a few rewards a run answered 503
    // (sqlite-event-commit.test.ts).
    return commit.immediate(rows);
  };
}
