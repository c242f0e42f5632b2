/**
 * The statements that look sessions up on PostgreSQL (a session's state and counted events, read
 * on every request there; the cohorts of a batch of rewards, read in its commit) find each
 * session through an index, even on tables PostgreSQL has not analyzed yet: a new deployment's
 * first minutes, or a table that grew faster than autovacuum analyzes it. Planned as
 * `(…) in ((…), …)` on such a table, PostgreSQL took the key prefix all the sessions share and
 * filtered every row under it (bench/: rewards fell to 500 a second). Each statement the code
 * runs is captured and explained on unanalyzed tables of 20,000 sessions of one agent, for one
 * session and for twenty: no plan may scan a table or throw away more rows than it returns.
 * PostgreSQL only (TESSERA_TEST_DATABASE=postgres).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  createSchema,
  dropSchema,
  inPostgresSuite,
  postgresUrl,
  recordingStatements,
} from '../../test/helpers/store.js';
import { openStore, type Store } from '../store/connect.js';
import { migrateToLatest } from '../store/migrate.js';
import { commitEvents } from './event-store.js';
import { selectCountedEvents, selectVisitorStates } from './session-events.js';

const onPostgres = await inPostgresSuite(
  'the PostgreSQL plan tests run on PostgreSQL only (TESSERA_TEST_DATABASE=postgres)',
);

const SESSIONS = 20_000;
const TABLES = ['visitors', 'selection_events', 'reward_events'];

interface PlanNode {
  'Node Type': string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  'Rows Removed by Filter'?: number;
  'Rows Removed by Index Recheck'?: number;
  Plans?: PlanNode[];
}

/** Rows each node threw away after reading them, over all its loops, and its node types. */
function filtered(node: PlanNode): { removed: number; nodes: string[] } {
  const loops = node['Actual Loops'] ?? 1;
  let removed =
    ((node['Rows Removed by Filter'] ?? 0) + (node['Rows Removed by Index Recheck'] ?? 0)) * loops;
  const nodes = [node['Node Type']];
  for (const child of node.Plans ?? []) {
    const below = filtered(child);
    removed += below.removed;
    nodes.push(...below.nodes);
  }
  return { removed, nodes };
}

describe('session lookups on PostgreSQL tables not analyzed yet', { skip: !onPostgres }, () => {
  let schema: string;
  let store: Store;
  before(async () => {
    schema = await createSchema();
    store = openStore({ url: postgresUrl, schema, poolSize: 2 });
    await migrateToLatest(store);
    for (const table of TABLES) {
      // Never analyzed while the test runs, whatever autovacuum's timing.
      await sql.raw(`alter table ${table} set (autovacuum_enabled = false)`).execute(store.db);
    }
    await sql`insert into selection_events (account_id, agent, session, variation, deploy_target_id, day, at)
      select 'acc', 'agent', 's' || g, 'B', 'dt', 0, g from generate_series(1, ${SESSIONS}) g`.execute(
      store.db,
    );
    await sql`insert into reward_events (account_id, agent, goal, session, variation, deploy_target_id, day, value, at)
      select 'acc', 'agent', 'goal', 's' || g, 'B', 'dt', 0, 1, g from generate_series(1, ${SESSIONS}) g`.execute(
      store.db,
    );
    await sql`insert into visitors (account_id, session, state, updated_at)
      select 'acc', 's' || g, '{}', g from generate_series(1, ${SESSIONS}) g`.execute(store.db);
    const { rows } = await sql<{ analyzed: number }>`
      select count(*)::int as analyzed from pg_stat_user_tables
       where schemaname = ${schema} and (last_analyze is not null or last_autoanalyze is not null)`.execute(
      store.db,
    );
    assert.equal(rows[0].analyzed, 0, 'the tables are not analyzed');
  });

  after(async () => {
    await store?.close();
    if (schema) await dropSchema(schema);
  });

  /** Runs `work` on a capturing handle, then explains every select it ran. */
  async function explained(
    work: (db: Store['db']) => Promise<unknown>,
  ): Promise<Array<{ sql: string; returned: number; removed: number; nodes: string[] }>> {
    const { db, statements } = recordingStatements(store.db);
    await work(db);
    const plans = [];
    for (const query of statements) {
      if (!/^\s*select/i.test(query.sql)) continue;
      const result = await store.db.executeQuery<{ 'QUERY PLAN': Array<{ Plan: PlanNode }> }>({
        ...query,
        sql: `explain (analyze, format json) ${query.sql}`,
      });
      const plan = result.rows[0]['QUERY PLAN'][0].Plan;
      plans.push({ sql: query.sql, returned: plan['Actual Rows'] ?? 0, ...filtered(plan) });
    }
    return plans;
  }

  const refs = Array.from({ length: 20 }, (_, i) => ({ accountId: 'acc', session: `s${i * 211 + 1}` }));

  for (const [name, work, statements] of [
    ['a session’s state', (db: Store['db']) => selectVisitorStates(db, refs.slice(0, 1)), 1],
    ['several sessions’ states', (db: Store['db']) => selectVisitorStates(db, refs), 1],
    ['a session’s counted events', (db: Store['db']) => selectCountedEvents(db, refs.slice(0, 1)), 2],
    ['several sessions’ counted events', (db: Store['db']) => selectCountedEvents(db, refs), 2],
    [
      'the cohorts of a batch of rewards',
      (db: Store['db']) =>
        commitEvents(db, [
          {
            selections: [],
            rewards: refs.map((ref, i) => ({
              ...ref,
              agent: 'agent',
              goal: 'other',
              deployTargetId: 'dt',
              value: 1,
              at: i,
            })),
          },
        ]),
      1,
    ],
  ] as const) {
    test(`${name}: through an index, filtering no more rows than it returns`, async () => {
      const plans = await explained(work);
      assert.equal(plans.length, statements, `selects run: ${plans.map((p) => p.sql).join('\n')}`);
      for (const plan of plans) {
        assert.ok(plan.returned > 0, `it found the sessions: ${plan.sql}`);
        assert.ok(
          plan.removed <= plan.returned,
          `${plan.removed} rows read and thrown away for ${plan.returned} returned (${plan.nodes.join(' > ')}): ${plan.sql}`,
        );
        assert.ok(
          !plan.nodes.includes('Seq Scan'),
          `a sequential scan (${plan.nodes.join(' > ')}): ${plan.sql}`,
        );
      }
    });
  }
});
