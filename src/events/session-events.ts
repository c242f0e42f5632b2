/**
 * What the event tables hold about given sessions: their stored visitor states (opaque text, the
 * runtime's to parse) and their counted selections and rewards, each read in one statement.
 */
import type { Kysely } from 'kysely';
import type { SqliteConnection } from '../store/connect.js';
import type { Database } from '../store/schema.js';
import { valuesTable } from '../store/values-table.js';

export interface SessionRef {
  accountId: string;
  session: string;
}

/** One string per session, for maps and filters: the visitor cache and the known sessions share it. */
export const sessionKey = (accountId: string, session: string) => `${accountId}\u0000${session}`;
/**
 * The same key as one flat string, for a key kept long (the cache of states). V8 builds
 * `sessionKey` as a rope of its parts, and the parts the runtime has are slices of the request's
 * URL, so each cached key held five strings and the whole URL. A join copies the characters into
 * one string of their own: after about 90,000 new sessions the heap held 405,000 objects and 57 MB
 * instead of 779,000 and 76 MB, and new sessions took 4% less CPU (the collector's) at the same
 * throughput (bench/, alternating turns).
 */
export const keptSessionKey = (accountId: string, session: string) => [accountId, session].join('\u0000');

/**
 * What a SQLite file holds of one session: its stored state, or, when it has none, the
 * selections counted for it (in the order they were counted); and its counted rewards either
 * way. A new session whose first state its counted selection gives back is stored as that
 * selection alone, and a reward that changes nothing but the goals used up as its counted reward
 * alone (runtime/visitor-store.ts).
 */
export interface StoredSession {
  state: string | null;
  selections: Array<{ agent: string; variation: string }>;
  rewards: Array<{ agent: string; goal: string }>;
}

/**
 * A SQLite file's reader of one session, answered at once on prepared statements (the driver is
 * synchronous in any case): a new session's lookup then costs no turn of the event loop and no
 * statement building. Null: nothing is stored for the session. It reads beside the Kysely
 * connection's turns, so a batch being committed on this connection (where commits run
 * in-thread) may be seen before it ends, but only its own sessions' rows, and their requests
 * hold those sessions' turns until it ends. A session `mayHold` rules out is not read
 * (known-sessions.ts).
 */
export function storedSessionReader(
  sqlite: SqliteConnection,
  mayHold?: (ref: SessionRef) => boolean,
): (ref: SessionRef) => StoredSession | null {
  // Prepared on the first read: the tables exist once the server has migrated.
  let statements: ReturnType<typeof prepare> | null = null;
  const prepare = () => ({
    state: sqlite.prepare<[string, string], { state: string }>(
      'select state from visitors where account_id = ? and session = ?',
    ),
    // By the key (account, session, agent) that migration 0013 gives SQLite.
    selections: sqlite.prepare<[string, string], { agent: string; variation: string }>(
      'select agent, variation from selection_events where account_id = ? and session = ? order by at, agent',
    ),
    // By the key (account, session, agent, goal) that migration 0014 gives SQLite.
    rewards: sqlite.prepare<[string, string], { agent: string; goal: string }>(
      'select agent, goal from reward_events where account_id = ? and session = ?',
    ),
  });
  return (ref) => {
    if (mayHold && !mayHold(ref)) return null;
    statements ??= prepare();
    const row = statements.state.get(ref.accountId, ref.session);
    const selections = row ? [] : statements.selections.all(ref.accountId, ref.session);
    // A reward is only counted for a counted selection: a session with neither has no rewards.
    if (!row && selections.length === 0) return null;
    return {
      state: row ? row.state : null,
      selections,
      rewards: statements.rewards.all(ref.accountId, ref.session),
    };
  };
}

/** The sessions as rows to join to (store/values-table.ts): one index lookup each, analyzed or not. */
const sessionRows = (refs: readonly SessionRef[]) =>
  valuesTable<{ column1: string; column2: string }, 'k'>(
    'k',
    refs.map((ref) => [ref.accountId, ref.session]),
  );

export async function selectVisitorStates(
  db: Kysely<Database>,
  refs: readonly SessionRef[],
): Promise<Array<SessionRef & { state: string }>> {
  if (refs.length === 0) return [];
  const rows = await db
    .selectFrom('visitors as v')
    .innerJoin(sessionRows(refs), (join) =>
      join.onRef('v.account_id', '=', 'k.column1').onRef('v.session', '=', 'k.column2'),
    )
    .select(['v.account_id', 'v.session', 'v.state'])
    .execute();
  return rows.map((row) => ({ accountId: row.account_id, session: row.session, state: row.state }));
}

export interface CountedEvents {
  /** in the order they were counted */
  selections: Array<SessionRef & { agent: string; variation: string }>;
  rewards: Array<SessionRef & { agent: string; goal: string }>;
}

/** The sessions' counted selections and rewards. */
export async function selectCountedEvents(
  db: Kysely<Database>,
  refs: readonly SessionRef[],
): Promise<CountedEvents> {
  // An empty list of rows is no statement at all.
  if (refs.length === 0) return { selections: [], rewards: [] };
  const [selections, rewards] = await Promise.all([
    db
      .selectFrom('selection_events as e')
      .innerJoin(sessionRows(refs), (join) =>
        join.onRef('e.account_id', '=', 'k.column1').onRef('e.session', '=', 'k.column2'),
      )
      .select(['e.account_id', 'e.session', 'e.agent', 'e.variation'])
      // In the order they were counted: selections recovered for a session are listed so in its
      // rewards' `rs`, as its own are.
      .orderBy('e.at')
      .orderBy('e.agent')
      .execute(),
    db
      .selectFrom('reward_events as e')
      .innerJoin(sessionRows(refs), (join) =>
        join.onRef('e.account_id', '=', 'k.column1').onRef('e.session', '=', 'k.column2'),
      )
      .select(['e.account_id', 'e.session', 'e.agent', 'e.goal'])
      .execute(),
  ]);
  return {
    selections: selections.map((r) => ({
      accountId: r.account_id,
      session: r.session,
      agent: r.agent,
      variation: r.variation,
    })),
    rewards: rewards.map((r) => ({
      accountId: r.account_id,
      session: r.session,
      agent: r.agent,
      goal: r.goal,
    })),
  };
}

/** Deletes a session's stored visitor state (a QA session starting afresh); its events stay. */
export async function deleteVisitorState(db: Kysely<Database>, ref: SessionRef): Promise<void> {
  await db
    .deleteFrom('visitors')
    .where('account_id', '=', ref.accountId)
    .where('session', '=', ref.session)
    .execute();
}
