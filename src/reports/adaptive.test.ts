/**
 * Thompson-sampling weights for adaptive allocation, checked by simulation: sessions are allocated
 * exactly as the runtime allocates them (`allocate`, the hash of session and agent) with the
 * weights recomputed from the counts every 500 sessions.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { allocate } from '../runtime/allocation.js';
import { ADAPTIVE_FLOOR, type Arm, thompsonWeights } from './adaptive.js';

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

const TRUE_RATE: Record<string, number> = { A: 0.05, B: 0.07 };
const SESSIONS = 20_000;
const BATCH = 500;

function simulate(run: number, adaptive: boolean) {
  const outcome = seeded(run * 7919 + 1);
  const sampler = seeded(run * 104_729 + 2);
  const arms: Arm[] = [
    { code: 'A', sessions: 0, conversions: 0 },
    { code: 'B', sessions: 0, conversions: 0 },
  ];
  let weights = [0.5, 0.5];
  let lowest = 1;
  let conversions = 0;
  for (let s = 0; s < SESSIONS; s++) {
    if (adaptive && s > 0 && s % BATCH === 0) {
      weights = thompsonWeights(arms, sampler);
      lowest = Math.min(lowest, ...weights);
    }
    const code = allocate(`run${run}-visitor-${s}`, 'a-adaptive', [
      { code: 'A', weight: weights[0] },
      { code: 'B', weight: weights[1] },
    ]);
    const arm = arms.find((a) => a.code === code) as Arm;
    arm.sessions++;
    if (outcome() < TRUE_RATE[arm.code]) {
      arm.conversions++;
      conversions++;
    }
  }
  return { conversions, shareB: arms[1].sessions / SESSIONS, lowest, finalWeights: weights };
}

describe('thompsonWeights', () => {
  test('5% against 7%, 20,000 sessions: B gets most traffic, more conversions than 50/50, no arm under its floor', () => {
    const runs = 20;
    let adaptiveTotal = 0;
    let fixedTotal = 0;
    let shareB = 0;
    let lowest = 1;
    let adaptiveWins = 0;
    for (let run = 0; run < runs; run++) {
      const adaptive = simulate(run, true);
      const fixed = simulate(run, false);
      adaptiveTotal += adaptive.conversions;
      fixedTotal += fixed.conversions;
      shareB += adaptive.shareB;
      lowest = Math.min(lowest, adaptive.lowest);
      if (adaptive.conversions > fixed.conversions) adaptiveWins++;
      assert.ok(adaptive.shareB > 0.5, `run ${run}: B had ${adaptive.shareB}`);
    }
    const margin = (adaptiveTotal - fixedTotal) / runs;
    console.log(
      `# adaptive 5% vs 7%, ${runs} runs × ${SESSIONS} sessions (weights every ${BATCH}): B got ${((shareB / runs) * 100).toFixed(1)}% of sessions; conversions ${adaptiveTotal / runs} a run against ${fixedTotal / runs} for 50/50 (+${margin.toFixed(1)}, +${((margin / (fixedTotal / runs)) * 100).toFixed(1)}%), more in ${adaptiveWins}/${runs} runs; lowest weight ${lowest.toFixed(4)} (floor ${ADAPTIVE_FLOOR})`,
    );
    assert.ok(shareB / runs > 0.75, `B share ${shareB / runs}`);
    assert.ok(adaptiveTotal > fixedTotal, `${adaptiveTotal} vs ${fixedTotal}`);
    assert.ok(lowest >= ADAPTIVE_FLOOR - 1e-12, `lowest ${lowest}`);
  });

  test('equal evidence gives equal weights; weights sum to 1; the floor shrinks to 1/k', () => {
    const random = seeded(5);
    const even = thompsonWeights(
      [
        { code: 'A', sessions: 1000, conversions: 50 },
        { code: 'B', sessions: 1000, conversions: 50 },
      ],
      random,
      { draws: 20_000 },
    );
    assert.ok(Math.abs(even[0] - 0.5) < 0.02, `${even}`);
    assert.ok(Math.abs(even[0] + even[1] - 1) < 1e-12);
    const many = Array.from({ length: 30 }, (_, i) => ({ code: `V${i}`, sessions: 0, conversions: 0 }));
    const weights = thompsonWeights(many, random, { draws: 2000 });
    assert.ok(Math.min(...weights) >= 1 / 30 - 1e-12, `min ${Math.min(...weights)}`);
    const clear = thompsonWeights(
      [
        { code: 'A', sessions: 10_000, conversions: 500 },
        { code: 'B', sessions: 10_000, conversions: 700 },
      ],
      random,
    );
    // 5% against 7% over 10,000 sessions each (z ≈ 6): B wins every draw, A keeps its floor.
    assert.ok(
      Math.abs(clear[0] - ADAPTIVE_FLOOR) < 1e-12 && Math.abs(clear[1] - (1 - ADAPTIVE_FLOOR)) < 1e-12,
      `${clear}`,
    );
  });

  test('the Beta draws have the right mean (checks the gamma sampler)', () => {
    // A ~ Beta(31, 71) (mean 0.3039, sd 0.0453) against B ~ Beta(36, 66) (mean 0.3529, sd 0.0471):
    // P(A > B) ≈ Φ(-0.0490 / 0.0654) = Φ(-0.750) = 0.227 by the normal approximation.
    const w = thompsonWeights(
      [
        { code: 'A', sessions: 100, conversions: 30 },
        { code: 'B', sessions: 100, conversions: 35 },
      ],
      seeded(9),
      { floor: 0, draws: 40_000 },
    );
    assert.ok(Math.abs(w[0] - 0.227) < 0.02, `P(A best) ${w[0]}`);
  });
});
