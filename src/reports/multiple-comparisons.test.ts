/** Holm's correction across an agent's goals and variations. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { DAY_MS } from '../kernel/days.js';
import type { DecisionStatsReport } from './decision-stats.js';
import { holmAdjust } from './statistics.js';

function closeAll(actual: (number | null)[], expected: (number | null)[]): void {
  assert.equal(actual.length, expected.length);
  actual.forEach((a, i) => {
    const e = expected[i];
    if (e === null) assert.equal(a, null, `[${i}]`);
    else assert.ok(a !== null && Math.abs(a - e) < 1e-12, `[${i}]: ${a} ≠ ${e}`);
  });
}

describe('holmAdjust', () => {
  test('the worked example of the Holm–Bonferroni method', () => {
    // Wikipedia, "Holm–Bonferroni method", Example: four hypotheses with p = 0.01, 0.04, 0.03 and
    // 0.005 at α = 0.05: H4 (0.005 < 0.05/4) and H1 (0.01 < 0.05/3) are rejected, then
    // 0.03 > 0.05/2 stops. As adjusted p-values (R: p.adjust(c(.01,.04,.03,.005), "holm")):
    // 0.03, 0.06, 0.06, 0.02 — exactly the two below 0.05 are rejected.
    closeAll(holmAdjust([0.01, 0.04, 0.03, 0.005]), [0.03, 0.06, 0.06, 0.02]);
  });

  test('keeps nulls out of the family, caps at 1, and leaves one p-value as it is', () => {
    closeAll(holmAdjust([0.2, null, 0.6]), [0.4, null, 0.6]);
    closeAll(holmAdjust([0.7, 0.9]), [1, 1]);
    closeAll(holmAdjust([0.042]), [0.042]);
    closeAll(holmAdjust([]), []);
    assert.throws(() => holmAdjust([1.5]), RangeError);
  });
});

describe('the report corrects across goals and variations', () => {
  let t: TestApp;
  let acc: string;

  before(async () => {
    t = await createTestApp();
    acc = t.account.id;
    await t.services.goals.put(acc, 'g-one', { name: 'One', value: 1 });
    await t.services.goals.put(acc, 'g-two', { name: 'Two', value: 1 });
    await t.services.agents.put(acc, 'a-many', {
      name: 'Many',
      variations: [
        { code: 'A', weight: 1 },
        { code: 'B', weight: 1 },
        { code: 'C', weight: 1 },
      ],
      goals: ['g-one', 'g-two'],
    });
    const dt = (await t.services.deployTargets.resolve(acc, undefined))?.id ?? '';
    const day = Math.floor(Date.now() / DAY_MS) * DAY_MS;
    const base = { account_id: acc, agent: 'a-many', deploy_target_id: dt, day };
    await t.services.store.db
      .insertInto('agent_daily_stats')
      .values(['A', 'B', 'C'].map((variation) => ({ ...base, variation, sessions: 2000 })))
      .execute();
    const conversions: Record<string, [number, number]> = { A: [200, 100], B: [245, 104], C: [214, 130] };
    await t.services.store.db
      .insertInto('goal_daily_stats')
      .values(
        Object.entries(conversions).flatMap(([variation, [one, two]]) => [
          { ...base, variation, goal: 'g-one', conversions: one, value_sum: one, value_sum_sq: one },
          { ...base, variation, goal: 'g-two', conversions: two, value_sum: two, value_sum_sq: two },
        ]),
      )
      .execute();
  });
  after(() => t.close());

  test('each confidence has its Holm-corrected twin over the four comparisons', async () => {
    const res = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-many`,
      as: { session: t.admin },
    });
    assert.equal(res.statusCode, 200, res.body);
    const data: DecisionStatsReport = res.json().data;
    const comparisons = data.variations.slice(1).flatMap((v) => v.goals.map((g) => g.vsFirst));
    assert.equal(comparisons.length, 4);
    const p = comparisons.map((c) => 1 - (c?.confidence ?? 0));
    const pSeq = comparisons.map((c) => 1 - (c?.seqConfidence ?? 0));
    const holm = holmAdjust(p);
    const holmSeq = holmAdjust(pSeq);
    comparisons.forEach((c, i) => {
      assert.ok(c);
      assert.ok(Math.abs(1 - (c.confidenceHolm ?? 0) - (holm[i] ?? 0)) < 1e-9);
      assert.ok(Math.abs(1 - (c.seqConfidenceHolm ?? 0) - (holmSeq[i] ?? 0)) < 1e-9);
      assert.ok((c.confidenceHolm ?? 0) <= (c.confidence ?? 0));
    });
    // B on g-one (10% → 12.25%, z ≈ 2.24, p ≈ 0.025) is significant alone and not among four: the
    // smallest of four p-values is multiplied by 4.
    const bOne = comparisons[0];
    assert.ok(
      bOne && (bOne.confidence ?? 0) > 0.95 && (bOne.confidenceHolm ?? 1) < 0.95,
      JSON.stringify(bOne),
    );
  });
});
