/**
 * The sample-ratio-mismatch check: Pearson's chi-square of sessions per variation against the
 * deployed weights, in the report and per deploy target.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import type { SnapshotAgent } from '../agents/snapshot.js';
import { DAY_MS } from '../kernel/days.js';
import { type DecisionStatsReport, SAMPLE_RATIO_ALPHA, sampleRatioCheck } from './decision-stats.js';
import { sampleRatioTest } from './statistics.js';

/** mulberry32: the simulations are the same on every run. */
function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function agentOf(
  weights: Record<string, number>,
  conditions: SnapshotAgent['conditions'] = [],
): SnapshotAgent {
  return {
    name: 'SRM',
    status: 'running',
    variations: Object.entries(weights).map(([code, weight]) => ({ code, weight, meta: {} })),
    conditions,
    goals: null,
  } as unknown as SnapshotAgent;
}

describe('sampleRatioTest', () => {
  test('matches a published chi-square goodness-of-fit example', () => {
    // Mendel's seed colours against his 3:1 theory, worked in Agresti, Categorical Data Analysis
    // (2nd ed., 2002), §1.5.4 "Testing Mendel's theories": 6022 yellow and 2001 green give
    // X² = 0.015 on 1 df, P-value 0.90.
    const result = sampleRatioTest([6022, 2001], [3, 1]);
    assert.ok(result);
    assert.equal(result.df, 1);
    assert.ok(Math.abs(result.chiSquare - 0.015) < 0.0005, `X² = ${result.chiSquare}`);
    assert.ok(Math.abs(result.pValue - 0.9) < 0.005, `p = ${result.pValue}`);
  });

  test('is untestable without two weighted categories or observations', () => {
    assert.equal(sampleRatioTest([10], [1]), null);
    assert.equal(sampleRatioTest([0, 0], [1, 1]), null);
    assert.throws(() => sampleRatioTest([1, 2], [1, 0]), RangeError);
  });
});

describe('sample-ratio simulations (50/50 agent)', () => {
  const agent = agentOf({ A: 1, B: 1 });

  function run(next: () => number, lossB: number, sessions: number): ReturnType<typeof sampleRatioCheck> {
    const counts = new Map([
      ['A', 0],
      ['B', 0],
    ]);
    for (let i = 0; i < sessions; i++) {
      const variation = next() < 0.5 ? 'A' : 'B';
      // The broken variation loses some of its sessions before they are counted.
      if (variation === 'B' && next() < lossB) continue;
      counts.set(variation, (counts.get(variation) ?? 0) + 1);
    }
    return sampleRatioCheck(null, agent, counts);
  }

  test('one variation losing 5% of its sessions is flagged', () => {
    // At 50,000 sessions the expected X² is about 32 (p ≈ 1e-8): the loss is plain to see.
    const next = seeded(18_001);
    let flagged = 0;
    for (let i = 0; i < 100; i++) if (run(next, 0.05, 50_000).verdict === 'mismatch') flagged++;
    const small = seeded(18_003);
    let flaggedSmall = 0;
    for (let i = 0; i < 100; i++) if (run(small, 0.05, 10_000).verdict === 'mismatch') flaggedSmall++;
    console.log(
      `# SRM: 5% loss in B flagged in ${flagged}/100 runs of 50,000 sessions, ${flaggedSmall}/100 of 10,000`,
    );
    assert.ok(flagged >= 95, `flagged ${flagged}/100`);
  });

  test('1,000 correct 50/50 runs raise the flag at about the nominal rate', () => {
    const next = seeded(18_002);
    let flagged = 0;
    let below05 = 0;
    for (let i = 0; i < 1000; i++) {
      const check = run(next, 0, 10_000);
      if (check.verdict === 'mismatch') flagged++;
      if ((check.pValue ?? 1) < 0.05) below05++;
    }
    console.log(
      `# SRM: correct 50/50 runs of 10,000 sessions flagged (p < ${SAMPLE_RATIO_ALPHA}) in ${flagged}/1000; p < 0.05 in ${below05}/1000 (nominal 1 and 50)`,
    );
    // Binomial(1000, 0.001): more than 5 has probability < 0.001. p < 0.05 checks the calibration
    // where there are enough events to see it: Binomial(1000, 0.05) lies in 30..72 with > 99.9%.
    assert.ok(flagged <= 5, `flagged ${flagged}`);
    assert.ok(below05 >= 30 && below05 <= 72, `p < 0.05 in ${below05}`);
  });
});

describe('sampleRatioCheck', () => {
  test('leaves out weight-0 variations and variations no longer defined', () => {
    const check = sampleRatioCheck(
      'dt-x',
      agentOf({ A: 1, B: 3, C: 0 }),
      new Map([
        ['A', 250],
        ['B', 750],
        ['C', 400],
        ['Z', 9],
      ]),
    );
    assert.equal(check.verdict, 'ok');
    assert.deepEqual(
      check.variations.map((v) => [v.code, v.sessions, v.expected]),
      [
        ['A', 250, 250],
        ['B', 750, 750],
      ],
    );
    assert.equal(check.chiSquare, 0);
    assert.equal(check.pValue, 1);
  });

  test('is untested without a definition', () => {
    assert.equal(sampleRatioCheck(null, undefined, new Map([['A', 5]])).verdict, 'untested');
  });
});

describe('the report carries the check, overall and per deploy target', () => {
  let t: TestApp;
  let acc: string;
  let targets: string[];

  before(async () => {
    t = await createTestApp();
    acc = t.account.id;
    await t.services.agents.put(acc, 'a-srm', {
      name: 'SRM',
      variations: [
        { code: 'A', weight: 1 },
        { code: 'B', weight: 1 },
      ],
    });
    targets = (await t.services.deployTargets.list(acc)).map((d) => d.id).sort();
    // One target splits evenly, the other loses 12.5% of B: the sum passes, the target does not.
    const day = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    await t.services.store.db
      .insertInto('agent_daily_stats')
      .values([
        {
          account_id: acc,
          agent: 'a-srm',
          deploy_target_id: targets[0],
          day,
          variation: 'A',
          sessions: 20_000,
        },
        {
          account_id: acc,
          agent: 'a-srm',
          deploy_target_id: targets[0],
          day,
          variation: 'B',
          sessions: 20_050,
        },
        {
          account_id: acc,
          agent: 'a-srm',
          deploy_target_id: targets[1],
          day,
          variation: 'A',
          sessions: 2_000,
        },
        {
          account_id: acc,
          agent: 'a-srm',
          deploy_target_id: targets[1],
          day,
          variation: 'B',
          sessions: 1_750,
        },
      ])
      .execute();
  });
  after(() => t.close());

  test('the API answers the p-value and verdict, and flags the broken target', async () => {
    const res = await t.call({ url: `/admin/${acc}/reports/decision-stats/a-srm`, as: { session: t.admin } });
    assert.equal(res.statusCode, 200, res.body);
    const data: DecisionStatsReport = res.json().data;
    const { overall, byTarget, includesFixed } = data.sampleRatio;
    assert.equal(includesFixed, false);
    assert.equal(overall.deployTarget, null);
    assert.equal(overall.df, 1);
    // 22,000 and 21,800 against 21,900 each: X² = 2 · 100² / 21,900 = 0.9132; the broken target's
    // 2,000 and 1,750 against 1,875: X² = 2 · 125² / 1,875 = 16.67, p ≈ 4.5e-5.
    assert.ok(Math.abs((overall.chiSquare ?? 0) - 0.9132) < 0.001, `X² ${overall.chiSquare}`);
    assert.ok(Math.abs((byTarget[1]?.chiSquare ?? 0) - 16.667) < 0.001, `X² ${byTarget[1]?.chiSquare}`);
    assert.equal(overall.verdict, 'ok');
    assert.deepEqual(
      byTarget.map((c) => [c.deployTarget, c.verdict]),
      [
        [targets[0], 'ok'],
        [targets[1], 'mismatch'],
      ],
    );
    assert.ok((byTarget[1].pValue ?? 1) < SAMPLE_RATIO_ALPHA);
  });

  test('the console shows the warning, naming the target', async () => {
    const res = await t.call({ url: `/console/${acc}/reports/a-srm`, as: { session: t.admin } });
    assert.equal(res.statusCode, 200);
    assert.match(res.body, /Sample ratio mismatch/);
    assert.ok(res.body.includes(targets[1]));
    assert.match(res.body, /less than once in a thousand/);
  });
});
