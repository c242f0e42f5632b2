import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestStore, type TestStore, testDialect } from '../../test/helpers/store.js';
import { DAY_MS } from '../kernel/days.js';
import {
  type BatchOutcome,
  commitEvents,
  dayOf,
  type EventWrite,
  type RewardRecord,
  type SelectionRecord,
} from './event-store.js';
import { createSqliteCommit } from './sqlite-event-commit.js';

const DAY1 = Date.UTC(2026, 0, 10, 12);
const DAY2 = DAY1 + DAY_MS;

function selection(session: string, over: Partial<SelectionRecord> = {}): SelectionRecord {
  return {
    accountId: 'acc-1',
    deployTargetId: 'dt-prod',
    session,
    agent: 'a-x',
    variation: 'A',
    at: DAY1,
    ...over,
  };
}
function reward(session: string, over: Partial<RewardRecord> = {}): RewardRecord {
  return {
    accountId: 'acc-1',
    deployTargetId: 'dt-prod',
    session,
    agent: 'a-x',
    goal: 'g-buy',
    value: 1,
    at: DAY1,
    ...over,
  };
}
const write = (w: Partial<EventWrite>): EventWrite => ({ selections: [], rewards: [], ...w });

let ts: TestStore;
let commit: (writes: EventWrite[]) => Promise<BatchOutcome>;

// The SQLite commit thread commits on prepared statements of its own: both must count alike.
const implementations: [string, (store: TestStore['store']) => typeof commit][] = [
  ['commitEvents', (store) => (writes) => commitEvents(store.db, writes)],
];
if (testDialect === 'sqlite') {
  implementations.push([
    'prepared statements (SQLite commit thread)',
    (store) => {
      const prepared = createSqliteCommit(store.sqlite as NonNullable<typeof store.sqlite>);
      return async (writes) => prepared(writes);
    },
  ]);
}

async function sessionsRows() {
  return ts.store.db
    .selectFrom('agent_daily_stats')
    .selectAll()
    .orderBy('account_id')
    .orderBy('agent')
    .orderBy('deploy_target_id')
    .orderBy('day')
    .orderBy('variation')
    .execute();
}

for (const [name, implementation] of implementations)
  describe(`committing events: ${name}`, () => {
    before(async () => {
      ts = await createTestStore();
      commit = implementation(ts.store);
    });
    after(() => ts.dispose());

    test('a selection counts once per account, agent and session, however often it is recorded', async () => {
      const first = await commit([
        write({ selections: [selection('s1'), selection('s2', { variation: 'B' })] }),
        write({ selections: [selection('s1', { variation: 'B' })] }), // same session again in the batch
      ]);
      assert.deepEqual(first, { selectionsCounted: 2, rewardsCounted: 0 });
      const replay = await commit([write({ selections: [selection('s1'), selection('s2')] })]);
      assert.deepEqual(replay, { selectionsCounted: 0, rewardsCounted: 0 });
      assert.deepEqual(
        (await sessionsRows()).map((r) => [r.variation, r.day, r.sessions]),
        [
          ['A', dayOf(DAY1), 1],
          ['B', dayOf(DAY1), 1],
        ],
      );
    });

    test('a reward counts once per goal, agent and session, in the cohort of the counted selection', async () => {
      await commit([write({ selections: [selection('r1', { deployTargetId: 'dt-stage' })] })]);
      // Rewarded the next day, through another target: still the selection's target, day and variation.
      const outcome = await commit([
        write({ rewards: [reward('r1', { at: DAY2, value: 5, deployTargetId: 'dt-prod' })] }),
        write({ rewards: [reward('r1', { at: DAY2, value: 7 })] }),
      ]);
      assert.equal(outcome.rewardsCounted, 1);
      assert.equal((await commit([write({ rewards: [reward('r1')] })])).rewardsCounted, 0);
      const goals = await ts.store.db
        .selectFrom('goal_daily_stats')
        .selectAll()
        .where('deploy_target_id', '=', 'dt-stage')
        .execute();
      assert.equal(goals.length, 1);
      assert.deepEqual(
        [goals[0].variation, goals[0].day, goals[0].conversions, goals[0].value_sum, goals[0].value_sum_sq],
        ['A', dayOf(DAY1), 1, 5, 25],
      );
    });

    test('a reward for a session with no counted selection of the agent counts nothing', async () => {
      const outcome = await commit([write({ rewards: [reward('never-selected')] })]);
      assert.equal(outcome.rewardsCounted, 0);
    });

    test('a selection and its reward in one batch both count; value sums add up', async () => {
      const outcome = await commit([
        write({
          selections: [selection('v1', { agent: 'a-v' })],
          rewards: [reward('v1', { agent: 'a-v', value: 2 })],
        }),
        write({
          selections: [selection('v2', { agent: 'a-v' })],
          rewards: [reward('v2', { agent: 'a-v', value: 3 })],
        }),
      ]);
      assert.deepEqual(outcome, { selectionsCounted: 2, rewardsCounted: 2 });
      const row = await ts.store.db
        .selectFrom('goal_daily_stats')
        .selectAll()
        .where('agent', '=', 'a-v')
        .executeTakeFirstOrThrow();
      assert.deepEqual([row.conversions, row.value_sum, row.value_sum_sq], [2, 5, 13]);
    });

    test('sessions with custom traits add to their values; rewards credit the values they were counted with', async () => {
      const traitsOf = (plan: string) => ['ua/mo:n', `cust/plan:${plan}`, 'cust/region:eu', 'F:1'];
      const outcome = await commit([
        write({
          selections: [
            selection('t1', { agent: 'a-t', traits: traitsOf('pro') }),
            selection('t2', { agent: 'a-t', variation: 'B', traits: traitsOf('pro') }),
            selection('t3', { agent: 'a-t', traits: traitsOf('free') }),
            selection('t4', { agent: 'a-t' }), // no traits known (a device beacon): not broken down
          ],
          rewards: [reward('t1', { agent: 'a-t' })],
        }),
      ]);
      assert.deepEqual(outcome, { selectionsCounted: 4, rewardsCounted: 1 });
      // Replays count nothing; a later reward of t3 credits the value t3 was counted with.
      await commit([
        write({ selections: [selection('t1', { agent: 'a-t', traits: traitsOf('free') })] }),
        write({
          rewards: [reward('t1', { agent: 'a-t' }), reward('t3', { agent: 'a-t', goal: 'g-b', at: DAY2 })],
        }),
      ]);
      const sessions = await ts.store.db
        .selectFrom('trait_daily_stats')
        .select(['trait_group', 'trait_value', 'variation', 'day', 'sessions'])
        .where('agent', '=', 'a-t')
        .orderBy('trait_group')
        .orderBy('trait_value')
        .orderBy('variation')
        .execute();
      assert.deepEqual(
        sessions.map((r) => [r.trait_group, r.trait_value, r.variation, Number(r.day), Number(r.sessions)]),
        [
          ['plan', 'free', 'A', dayOf(DAY1), 1],
          ['plan', 'pro', 'A', dayOf(DAY1), 1],
          ['plan', 'pro', 'B', dayOf(DAY1), 1],
          ['region', 'eu', 'A', dayOf(DAY1), 2],
          ['region', 'eu', 'B', dayOf(DAY1), 1],
        ],
      );
      const goals = await ts.store.db
        .selectFrom('trait_goal_daily_stats')
        .select(['trait_group', 'trait_value', 'variation', 'goal', 'day', 'conversions'])
        .where('agent', '=', 'a-t')
        .orderBy('trait_group')
        .orderBy('trait_value')
        .orderBy('goal')
        .execute();
      assert.deepEqual(
        goals.map((r) => [
          r.trait_group,
          r.trait_value,
          r.variation,
          r.goal,
          Number(r.day),
          Number(r.conversions),
        ]),
        [
          ['plan', 'free', 'A', 'g-b', dayOf(DAY1), 1],
          ['plan', 'pro', 'A', 'g-buy', dayOf(DAY1), 1],
          ['region', 'eu', 'A', 'g-b', dayOf(DAY1), 1],
          ['region', 'eu', 'A', 'g-buy', dayOf(DAY1), 1],
        ],
      );
    });

    test('visitor states are upserted; the last write of a session in a batch wins', async () => {
      await commit([
        write({ visitor: { accountId: 'acc-1', session: 'vs', state: '{"n":1}', at: DAY1 } }),
        write({ visitor: { accountId: 'acc-1', session: 'vs', state: '{"n":2}', at: DAY1 } }),
      ]);
      await commit([write({ visitor: { accountId: 'acc-1', session: 'vs', state: '{"n":3}', at: DAY2 } })]);
      const row = await ts.store.db
        .selectFrom('visitors')
        .selectAll()
        .where('session', '=', 'vs')
        .executeTakeFirstOrThrow();
      assert.deepEqual([row.state, row.updated_at], ['{"n":3}', DAY2]);
    });

    test('a batch larger than one statement holds is split and still counted exactly', async () => {
      const writes = Array.from({ length: 1234 }, (_, i) =>
        write({
          selections: [selection(`big-${i}`, { agent: 'a-big', variation: i % 3 === 0 ? 'A' : 'B' })],
        }),
      );
      const outcome = await commit(writes);
      assert.equal(outcome.selectionsCounted, 1234);
      const rows = await ts.store.db
        .selectFrom('agent_daily_stats')
        .selectAll()
        .where('agent', '=', 'a-big')
        .orderBy('variation')
        .execute();
      assert.deepEqual(
        rows.map((r) => [r.variation, r.sessions]),
        [
          ['A', 412],
          ['B', 822],
        ],
      );
    });

    test('overlapping batches committed at once (two servers) neither deadlock nor double count', async () => {
      for (let round = 0; round < 10; round++) {
        const sessions = Array.from({ length: 40 }, (_, i) => `both-${round}-${i}`);
        const writesOf = (order: string[]) =>
          order.map((session, i) =>
            write({
              visitor: { accountId: 'acc-2', session, state: '{}', at: DAY1 },
              selections: [selection(session, { accountId: 'acc-2', variation: i % 2 === 0 ? 'A' : 'B' })],
              rewards: [reward(session, { accountId: 'acc-2' })],
            }),
          );
        const outcomes = await Promise.all([
          commit(writesOf(sessions)),
          commit(writesOf(sessions.slice().reverse())),
        ]);
        assert.equal(outcomes[0].selectionsCounted + outcomes[1].selectionsCounted, 40);
        assert.equal(outcomes[0].rewardsCounted + outcomes[1].rewardsCounted, 40);
      }
      const rows = await ts.store.db
        .selectFrom('agent_daily_stats')
        .selectAll()
        .where('account_id', '=', 'acc-2')
        .execute();
      assert.equal(
        rows.reduce((n, r) => n + r.sessions, 0),
        400,
      );
      const goals = await ts.store.db
        .selectFrom('goal_daily_stats')
        .selectAll()
        .where('account_id', '=', 'acc-2')
        .execute();
      assert.equal(
        goals.reduce((n, r) => n + r.conversions, 0),
        400,
      );
    });
  });
