/**
 * Adaptive allocation end to end: weights learned from the aggregates are published as a new
 * configuration version, new sessions are allocated by them with policy `a` (on the server and in
 * the device bundle alike), sticky sessions keep their variation, and the report shows the history.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { createServices } from '../app/services.js';
import { DAY_MS } from '../kernel/days.js';
import { emptyVisitorState, execute, type SelectionItem } from '../runtime/engine.js';
import { engineSnapshot } from '../script/device-config.js';
import { ADAPTIVE_FLOOR } from './adaptive.js';
import type { DecisionStatsReport } from './decision-stats.js';

describe('adaptive allocation', () => {
  let t: TestApp;
  let acc: string;
  let rest: string;
  let js: string;

  const select = async (session: string) => {
    const answer = await t.services.runtime.execute({
      accountId: acc,
      deployTargetId: rest,
      session,
      commands: [{ a: 'a-adapt' }],
      inputs: {},
      queryTraits: [],
      debug: false,
    });
    return answer.items[0] as SelectionItem;
  };

  before(async () => {
    t = await createTestApp();
    acc = t.account.id;
    const targets = await t.services.deployTargets.list(acc);
    rest = targets.find((d) => d.kind === 'rest')?.id as string;
    js = targets.find((d) => d.kind === 'js')?.id as string;
    await t.services.goals.put(acc, 'g-buy', { name: 'Bought', value: 1 });
    const res = await t.call({
      method: 'PUT',
      url: `/admin/${acc}/agents/a-adapt`,
      as: { session: t.admin },
      body: {
        name: 'Adaptive',
        allocation: 'adaptive',
        variations: [
          { code: 'A', weight: 1 },
          { code: 'B', weight: 1 },
        ],
        goals: ['g-buy'],
      },
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().data.allocation, 'adaptive');
  });
  after(() => t.close());

  test('allocation is validated and defaults to random', async () => {
    const bad = await t.call({
      method: 'PUT',
      url: `/admin/${acc}/agents/a-other`,
      as: { session: t.admin },
      body: { variations: [{ code: 'A', weight: 1 }], allocation: 'greedy' },
    });
    assert.equal(bad.statusCode, 400);
    assert.match(bad.body, /allocation/);
    const { agent } = await t.services.agents.put(acc, 'a-plain', { variations: [{ code: 'A', weight: 1 }] });
    assert.equal(agent.allocation, undefined, 'random is the default, left out of the resource');
    assert.equal(
      (await select('before-anything')).p,
      'a',
      'adaptive starts from the authors’ weights, policy a',
    );
  });

  test('learned weights are published as a version; new sessions follow them with p "a"; sticky keeps', async () => {
    const early = await select('early-visitor');
    await t.services.events.flush();
    // B converts at 9%, A at 5%, over 2,000 sessions each (as the aggregates would hold them).
    const day = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const base = { account_id: acc, agent: 'a-adapt', deploy_target_id: rest, day };
    await t.services.store.db
      .insertInto('agent_daily_stats')
      .values([
        { ...base, variation: 'A', sessions: 2000 },
        { ...base, variation: 'B', sessions: 2000 },
      ])
      .onConflict((oc) =>
        oc.columns(['account_id', 'agent', 'deploy_target_id', 'day', 'variation']).doUpdateSet((eb) => ({
          sessions: eb('agent_daily_stats.sessions', '+', eb.ref('excluded.sessions')),
        })),
      )
      .execute();
    await t.services.store.db
      .insertInto('goal_daily_stats')
      .values([
        { ...base, variation: 'A', goal: 'g-buy', conversions: 100, value_sum: 100, value_sum_sq: 100 },
        { ...base, variation: 'B', goal: 'g-buy', conversions: 180, value_sum: 180, value_sum_sq: 180 },
      ])
      .execute();

    const before = await t.services.deployments.configurationVersion(acc);
    assert.equal(await t.services.adaptive.rebalance(acc), 1);
    const version = await t.services.deployments.configurationVersion(acc);
    assert.equal(version, before + 1);
    const snapshot = await t.services.snapshots.get(acc, rest);
    assert.equal(snapshot?.version, version);
    const weights = snapshot?.agents['a-adapt']?.adaptiveWeights;
    assert.ok(weights, JSON.stringify(snapshot?.agents['a-adapt']));
    assert.ok(
      Math.abs((weights.A ?? 0) - ADAPTIVE_FLOOR) < 1e-9 && (weights.B ?? 0) > 0.9,
      JSON.stringify(weights),
    );

    // Published less than the interval ago: not repeated.
    assert.equal(await t.services.adaptive.rebalance(acc), 0);

    let b = 0;
    for (let i = 0; i < 400; i++) {
      const item = await select(`new-visitor-${i}`);
      assert.equal(item.p, 'a');
      if (item.c === 'B') b++;
    }
    assert.ok(b > 340, `B got ${b}/400`);
    const again = await select('early-visitor');
    assert.equal(again.p, 's');
    assert.equal(again.c, early.c);

    // The device bundle carries the same weights, so the script tag decides the same way.
    const key = await t.key('js');
    const bundle = await t.call({ url: `/${acc}/v3/agent-api/bundle/${js}?apikey=${key.secret}` });
    assert.equal(bundle.statusCode, 200, bundle.body);
    const agent = bundle.json().data.agents['a-adapt'];
    assert.equal(agent.allocation, 'adaptive');
    assert.deepEqual(agent.adaptiveWeights, weights);

    const report = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-adapt`,
      as: { session: t.admin },
    });
    assert.equal(report.statusCode, 200, report.body);
    const data: DecisionStatsReport = report.json().data;
    assert.equal(data.weightHistory.length, 1);
    assert.equal(data.weightHistory[0].version, version);
    assert.deepEqual(
      data.weightHistory[0].weights.map((w) => [w.code, w.weight]),
      Object.entries(weights),
    );
    // The split follows changing weights: no single ratio to check it against.
    assert.equal(data.sampleRatio.adaptive, true);
    assert.equal(data.sampleRatio.overall.verdict, 'untested');

    const page = await t.call({ url: `/console/${acc}/reports/a-adapt`, as: { session: t.admin } });
    assert.match(page.body, /Adaptive weights/);
  });

  test('a second server on the store and the script tag apply the same learned weights', async () => {
    // Runs after the publication above: the snapshot holds learned weights.
    const snapshot = await t.services.snapshots.get(acc, rest);
    assert.ok(snapshot?.agents['a-adapt']?.adaptiveWeights, 'weights were published');
    const other = createServices(t.services.store, { changes: t.services.changes });
    try {
      const key = await t.key('js');
      const bundle = await t.call({ url: `/${acc}/v3/agent-api/bundle/${js}?apikey=${key.secret}` });
      const device = engineSnapshot(bundle.json().data);
      let b = 0;
      for (let i = 0; i < 300; i++) {
        const session = `shared-visitor-${i}`;
        const here = await select(session);
        const there = (
          await other.runtime.execute({
            accountId: acc,
            deployTargetId: rest,
            session: `${session}-fresh`,
            commands: [{ a: 'a-adapt' }],
            inputs: {},
            queryTraits: [],
            debug: false,
          })
        ).items[0] as SelectionItem;
        const onDevice = execute(device, emptyVisitorState(), {
          session: `${session}-fresh`,
          commands: [{ a: 'a-adapt' }],
          inputs: {},
          queryTraits: [],
          debug: false,
        }).items[0] as SelectionItem;
        // Allocation hashes the session: the same fresh session gets the same variation everywhere.
        assert.equal(there.p, 'a');
        assert.deepEqual([onDevice.c, onDevice.p], [there.c, there.p], session);
        assert.equal(here.p === 'a' || here.p === 's', true);
        if (there.c === 'B') b++;
      }
      assert.ok(b > 250, `the second server follows the learned weights: B got ${b}/300`);
    } finally {
      await other.keyUsage.close();
      await other.events.close();
    }
  });
});
