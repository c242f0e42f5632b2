import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { dayOf } from '../events/event-store.js';
import { DAY_MS } from '../kernel/days.js';
import type { RewardItem, SelectionItem } from '../runtime/engine.js';
import type { DecisionStatsReport } from './decision-stats.js';

/** A small seeded generator (mulberry32), so the simulation is the same on every run. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const TRUE_RATE: Record<string, number> = { A: 0.1, B: 0.13, C: 0.07 };
const SESSIONS = 10_000;

describe('reports: 10,000 simulated sessions with known conversion rates', () => {
  let t: TestApp;
  let acc: string;
  const simulated = {
    sessions: { A: 0, B: 0, C: 0 } as Record<string, number>,
    conversions: { A: 0, B: 0, C: 0 } as Record<string, number>,
    value: { A: 0, B: 0, C: 0 } as Record<string, number>,
    converted: new Set<string>(),
  };

  before(async () => {
    t = await createTestApp();
    acc = t.account.id;
    await t.services.goals.put(acc, 'g-buy', { name: 'Bought', value: 1 });
    await t.services.agents.put(acc, 'a-sim', {
      name: 'Simulation',
      variations: [
        { code: 'A', name: 'Control', weight: 1 },
        { code: 'B', weight: 1 },
        { code: 'C', weight: 1 },
      ],
      goals: ['g-buy'],
    });
    const target = await t.services.deployTargets.resolve(acc, undefined);
    if (!target) throw new Error('no default target');
    const next = random(20260110);
    const base = { accountId: acc, deployTargetId: target.id, inputs: {}, queryTraits: [], debug: false };
    // Visitors arrive 250 at a time, as concurrent requests would.
    for (let start = 0; start < SESSIONS; start += 250) {
      await Promise.all(
        Array.from({ length: 250 }, async (_, k) => {
          const session = `sim-${start + k}`;
          const converts = next();
          const amount = 1 + Math.floor(next() * 50);
          const chosen = await t.services.runtime.execute({ ...base, session, commands: [{ a: 'a-sim' }] });
          const variation = (chosen.items[0] as SelectionItem).c;
          simulated.sessions[variation]++;
          if (converts < TRUE_RATE[variation]) {
            const rewarded = await t.services.runtime.execute({
              ...base,
              session,
              commands: [{ g: 'g-buy', v: amount }],
            });
            assert.equal((rewarded.items[0] as RewardItem).rs[0].v, amount);
            simulated.conversions[variation]++;
            simulated.value[variation] += amount;
            simulated.converted.add(session);
          }
        }),
      );
    }
  });
  after(() => t.close());

  async function report(query = ''): Promise<DecisionStatsReport> {
    const res = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-sim${query}`,
      as: { session: t.admin },
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().data;
  }

  test('the counts match the simulation exactly', async () => {
    const data = await report();
    assert.deepEqual(
      data.variations.map((v) => v.code),
      ['A', 'B', 'C'],
    );
    assert.equal(data.variations[0].name, 'Control');
    for (const v of data.variations) {
      assert.equal(v.sessions, simulated.sessions[v.code], `sessions of ${v.code}`);
      const goal = v.goals[0];
      assert.equal(goal.goal, 'g-buy');
      assert.equal(goal.conversions, simulated.conversions[v.code], `conversions of ${v.code}`);
      assert.equal(goal.valueTotal, simulated.value[v.code], `value of ${v.code}`);
      assert.equal(goal.valueMean, simulated.value[v.code] / simulated.sessions[v.code]);
    }
    assert.equal(
      data.variations.reduce((n, v) => n + v.sessions, 0),
      SESSIONS,
    );
  });

  test('each 95% interval covers the true rate, and B is found better than A', async () => {
    const data = await report();
    for (const v of data.variations) {
      const g = v.goals[0];
      assert.ok(
        g.rateLow <= TRUE_RATE[v.code] && TRUE_RATE[v.code] <= g.rateHigh,
        `${v.code}: ${g.rateLow}..${g.rateHigh}`,
      );
      assert.ok(g.rateLow < g.rate && g.rate < g.rateHigh);
    }
    const [a, b, c] = data.variations.map((v) => v.goals[0]);
    assert.equal(a.vsFirst, null);
    const trueLiftB = TRUE_RATE.B / TRUE_RATE.A - 1;
    const trueLiftC = TRUE_RATE.C / TRUE_RATE.A - 1;
    assert.ok(b.vsFirst && b.vsFirst.liftLow !== null && b.vsFirst.liftHigh !== null);
    assert.ok(b.vsFirst.liftLow <= trueLiftB && trueLiftB <= b.vsFirst.liftHigh, JSON.stringify(b.vsFirst));
    assert.ok(c.vsFirst && c.vsFirst.liftLow !== null && c.vsFirst.liftHigh !== null);
    assert.ok(c.vsFirst.liftLow <= trueLiftC && trueLiftC <= c.vsFirst.liftHigh, JSON.stringify(c.vsFirst));
    assert.ok((b.vsFirst.confidence ?? 0) > 0.95, `B vs A confidence ${b.vsFirst.confidence}`);
    assert.ok((c.vsFirst.confidence ?? 0) > 0.95, `C vs A confidence ${c.vsFirst.confidence}`);
    // Value per session: the true mean is rate × 25.5 (values 1..50, uniform).
    for (const [g, code] of [
      [b, 'B'],
      [c, 'C'],
    ] as const) {
      const trueDiff = (TRUE_RATE[code] - TRUE_RATE.A) * 25.5;
      assert.ok(g.vsFirst && g.vsFirst.valueDiffLow !== null && g.vsFirst.valueDiffHigh !== null);
      assert.ok(
        g.vsFirst.valueDiffLow <= trueDiff && trueDiff <= g.vsFirst.valueDiffHigh,
        JSON.stringify(g.vsFirst),
      );
      assert.ok(g.vsFirst.valueConfidence !== null);
    }
  });

  test('sequential figures sit beside the fixed-horizon ones: wider, and covering the truth', async () => {
    const data = await report();
    for (const v of data.variations.slice(1)) {
      const vs = v.goals[0].vsFirst;
      assert.ok(vs && vs.rateDiff !== null && vs.seqRateDiffLow !== null && vs.seqRateDiffHigh !== null);
      const a = data.variations[0].goals[0];
      assert.ok(Math.abs(vs.rateDiff - (v.goals[0].rate - a.rate)) < 1e-12);
      const truth = TRUE_RATE[v.code] - TRUE_RATE.A;
      assert.ok(
        vs.seqRateDiffLow <= truth && truth <= vs.seqRateDiffHigh,
        `${v.code}: ${JSON.stringify(vs)}`,
      );
      // One look (today) of an always-valid test asks more evidence than the fixed-horizon test.
      assert.ok((vs.seqConfidence ?? 0) <= (vs.confidence ?? 0), `${v.code}: ${JSON.stringify(vs)}`);
    }
    // The session split matches the equal weights.
    assert.equal(data.sampleRatio.overall.verdict, 'ok');
  });

  test('the daily series holds today, with the same counts; other days and targets hold nothing', async () => {
    const today = new Date(dayOf(Date.now())).toISOString().slice(0, 10);
    const data = await report();
    assert.equal(data.from, today);
    assert.equal(data.to, today);
    assert.equal(data.daily.length, 1);
    assert.deepEqual(
      data.daily[0].variations.map((v) => [v.code, v.sessions, v.goals[0].conversions]),
      ['A', 'B', 'C'].map((code) => [code, simulated.sessions[code], simulated.conversions[code]]),
    );
    const yesterday = new Date(dayOf(Date.now()) - DAY_MS).toISOString().slice(0, 10);
    const before = await report(`?from=2026-01-01&to=${yesterday}`);
    assert.ok(before.variations.every((v) => v.sessions === 0 && v.goals[0].conversions === 0));
    assert.ok(before.daily.every((d) => d.variations.every((v) => v.sessions === 0)));
    const jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id;
    const elsewhere = await report(`?dt=${jsTarget}`);
    assert.equal(
      elsewhere.variations.reduce((n, v) => n + v.sessions, 0),
      0,
    );
  });

  test('replaying the events (another server, a retried beacon) changes nothing', async () => {
    const target = await t.services.deployTargets.resolve(acc, undefined);
    const writes = Array.from({ length: 500 }, (_, i) => ({
      selections: [
        {
          accountId: acc,
          deployTargetId: target?.id ?? '',
          session: `sim-${i}`,
          agent: 'a-sim',
          variation: 'A',
          at: Date.now(),
        },
      ],
      rewards: simulated.converted.has(`sim-${i}`)
        ? [
            {
              accountId: acc,
              deployTargetId: target?.id ?? '',
              session: `sim-${i}`,
              agent: 'a-sim',
              goal: 'g-buy',
              value: 1000,
              at: Date.now(),
            },
          ]
        : [],
    }));
    await Promise.all(writes.map((w) => t.services.events.record(w)));
    const data = await report();
    for (const v of data.variations) {
      assert.equal(v.sessions, simulated.sessions[v.code]);
      assert.equal(v.goals[0].valueTotal, simulated.value[v.code]);
    }
  });
});

describe('reports: errors', () => {
  test('a report too large to answer is 400 telling how many days fit, not hundreds of MB', async () => {
    const big = await createTestApp();
    try {
      const acc = big.account.id;
      const goals = Array.from({ length: 6 }, (_, i) => `g-big${i}`);
      for (const code of goals) await big.services.goals.put(acc, code, { value: 1 });
      await big.services.agents.put(acc, 'a-big', {
        variations: Array.from({ length: 100 }, (_, i) => ({ code: `V${i}`, weight: 1 })),
        goals,
      });
      const url = `/admin/${acc}/reports/decision-stats/a-big`;
      const decade = await big.call({
        url: `${url}?from=2017-01-01&to=2026-12-31`,
        as: { session: big.admin },
      });
      assert.equal(decade.statusCode, 400, decade.body.slice(0, 300));
      assert.equal(decade.json().field, 'querystring.from');
      // 100 variations × 6 goals = 600 figures a day: 100,000 hold the totals and 165 days.
      assert.match(decade.json().err, /at most 165 days/);
      const fits = await big.call({
        url: `${url}?from=2026-01-01&to=2026-06-14`,
        as: { session: big.admin },
      });
      assert.equal(fits.statusCode, 200, fits.body.slice(0, 300));
      assert.equal(fits.json().data.daily.length, 165);
    } finally {
      await big.close();
    }
  });

  let t: TestApp;
  before(async () => {
    t = await createTestApp();
  });
  after(() => t.close());

  test('an agent never deployed nor counted is 404; bad days are 400 naming the field', async () => {
    const acc = t.account.id;
    const missing = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-none`,
      as: { session: t.admin },
    });
    assert.equal(missing.statusCode, 404, missing.body);
    assert.equal(missing.json().code, 'agent_not_found');
    await t.services.agents.put(acc, 'a-r', { variations: [{ code: 'A', weight: 1 }] });
    for (const [query, field] of [
      ['?from=yesterday', 'querystring.from'],
      ['?from=2026-02-30T99', 'querystring.from'],
      ['?from=2026-02-10&to=2026-02-01', 'querystring.to'],
      ['?from=2000-01-01&to=2026-01-01', 'querystring.to'],
      // A day that does not exist is refused, not rolled over to the next month.
      ['?from=2024-02-30', 'querystring.from'],
      ['?to=2023-02-29T10:00:00Z', 'querystring.to'],
    ]) {
      const res = await t.call({
        url: `/admin/${acc}/reports/decision-stats/a-r${query}`,
        as: { session: t.admin },
      });
      assert.equal(res.statusCode, 400, `${query}: ${res.body}`);
      assert.equal(res.json().field, field, query);
    }
    // Ten years from one bound alone (the other is the data's last day) names the bound given.
    const target = (await t.services.deployTargets.resolve(acc, undefined))?.id ?? '';
    await t.services.events.record({
      selections: [
        {
          accountId: acc,
          deployTargetId: target,
          session: 's1',
          agent: 'a-decade',
          variation: 'A',
          at: Date.UTC(2026, 0, 5),
        },
      ],
      rewards: [],
    });
    const decade = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-decade?from=0001-01-01`,
      as: { session: t.admin },
    });
    assert.equal(decade.statusCode, 400, decade.body);
    assert.equal(decade.json().field, 'querystring.from');
    // The console says the same in its page, rather than a report running backwards.
    const backwards = await t.call({
      url: `/console/${acc}/reports/a-r?from=2026-02-10&to=2026-02-01`,
      as: { session: t.admin },
    });
    assert.equal(backwards.statusCode, 422, backwards.body);
    assert.match(backwards.body, /must not be before from/);
    const unknownTarget = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-r?dt=dt-nothere1`,
      as: { session: t.admin },
    });
    assert.equal(unknownTarget.statusCode, 404, unknownTarget.body);
    const empty = await t.call({ url: `/admin/${acc}/reports/decision-stats/a-r`, as: { session: t.admin } });
    assert.equal(empty.statusCode, 200, empty.body);
    assert.deepEqual(empty.json().data.variations, [{ code: 'A', name: null, sessions: 0, goals: [] }]);
    assert.deepEqual(empty.json().data.daily, []);
  });
});
