/**
 * Always-valid figures: reading a report every day and stopping at the first "significant" result
 * must not inflate false positives the way the fixed-horizon test read the same way does.
 * Simulated on daily aggregates (the counts a report reads), not through HTTP.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { alwaysValidDifference, type Look, MSPRT_TAU_RELATIVE, twoProportionTest } from './statistics.js';

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

function binomial(next: () => number, n: number, p: number): number {
  let k = 0;
  for (let i = 0; i < n; i++) if (next() < p) k++;
  return k;
}

const DAYS = 30;
const PER_DAY = 500;

/** One experiment read after every day: which of the two methods ever declared a winner at 5%. */
function experiment(next: () => number, rateA: number, rateB: number) {
  const looks: Look[] = [];
  const cumulative: Look = { convA: 0, nA: 0, convB: 0, nB: 0 };
  let fixedDeclared = false;
  let fixedDeclaredAtEnd = false;
  for (let day = 0; day < DAYS; day++) {
    cumulative.nA += PER_DAY;
    cumulative.nB += PER_DAY;
    cumulative.convA += binomial(next, PER_DAY, rateA);
    cumulative.convB += binomial(next, PER_DAY, rateB);
    looks.push({ ...cumulative });
    const fixed = twoProportionTest(cumulative.convA, cumulative.nA, cumulative.convB, cumulative.nB);
    if ((fixed.pValue ?? 1) < 0.05) fixedDeclared = true;
    if (day === DAYS - 1) fixedDeclaredAtEnd = (fixed.pValue ?? 1) < 0.05;
  }
  // The always-valid p-value never rises, so "below 0.05 on some day" is "below 0.05 at the end".
  const sequential = alwaysValidDifference(looks);
  return {
    sequentialDeclared: (sequential.pValue ?? 1) < 0.05,
    fixedDeclared,
    fixedDeclaredAtEnd,
    sequential,
  };
}

describe('always-valid difference of rates (mSPRT)', () => {
  test('1,000 A/A tests read every day for 30 days: few winners; the fixed-horizon test read so finds many', () => {
    const next = seeded(18_201);
    let sequential = 0;
    let fixed = 0;
    let fixedOnce = 0;
    let covered = 0;
    for (let run = 0; run < 1000; run++) {
      const r = experiment(next, 0.1, 0.1);
      if (r.sequentialDeclared) sequential++;
      if (r.fixedDeclared) fixed++;
      if (r.fixedDeclaredAtEnd) fixedOnce++;
      const { diffLow, diffHigh } = r.sequential;
      if (diffLow !== null && diffHigh !== null && diffLow <= 0 && 0 <= diffHigh) covered++;
    }
    console.log(
      `# A/A, 1,000 runs × 30 daily reads (${PER_DAY} sessions a day per variation, rate 10%): winner declared by the always-valid p in ${sequential / 10}%, by the fixed-horizon p read daily in ${fixed / 10}% (read once at day 30: ${fixedOnce / 10}%); confidence sequence kept 0 in ${covered / 10}%`,
    );
    assert.ok(sequential <= 60, `always-valid: ${sequential}/1000`);
    assert.ok(fixed >= 2 * sequential && fixed >= 150, `fixed-horizon read daily: ${fixed}/1000`);
    assert.ok(covered >= 940, `coverage ${covered}/1000`);
  });

  test('a real 20% lift is found', () => {
    const next = seeded(18_202);
    let sequential = 0;
    for (let run = 0; run < 200; run++) if (experiment(next, 0.1, 0.12).sequentialDeclared) sequential++;
    console.log(`# 10% vs 12%, 200 runs × 30 days: always-valid winner in ${sequential / 2}%`);
    assert.ok(sequential >= 150, `power ${sequential}/200`);
  });

  test('matches the formula at one look', () => {
    // 100/1000 against 130/1000: d = 0.03, V = 0.09/1000 + 0.1131/1000 = 2.031e-4, pooled 0.115,
    // τ = 0.0115, τ² = 1.3225e-4; τ²d² = 1.19025e-7, 2V(V+τ²) = 1.36219e-7, so
    // Λ = √(V/(V+τ²))·exp(τ²d²/(2V(V+τ²))) = 0.77823 · e^0.87378 = 1.8646, p = 1/Λ = 0.5363.
    const r = alwaysValidDifference([{ convA: 100, nA: 1000, convB: 130, nB: 1000 }]);
    assert.equal(MSPRT_TAU_RELATIVE, 0.1);
    assert.ok(Math.abs((r.pValue ?? 0) - 0.5363) < 0.0005, `p ${r.pValue}`);
    assert.ok(Math.abs((r.diff ?? 0) - 0.03) < 1e-12);
    // radius √(2V(V+τ²)/τ² · (ln 20 + ½ ln((V+τ²)/V))) = √(1.0302e-3 · 3.2465) = 0.05783
    assert.ok(Math.abs((r.diffLow ?? 0) - (0.03 - 0.05783)) < 2e-4, `low ${r.diffLow}`);
    assert.ok(Math.abs((r.diffHigh ?? 0) - (0.03 + 0.05783)) < 2e-4, `high ${r.diffHigh}`);
  });

  test('the p-value never rises and the interval never widens as looks are added', () => {
    const next = seeded(18_203);
    const looks: Look[] = [];
    const c: Look = { convA: 0, nA: 0, convB: 0, nB: 0 };
    let previous = alwaysValidDifference([]);
    assert.equal(previous.pValue, null);
    for (let day = 0; day < 40; day++) {
      c.nA += 300;
      c.nB += 300;
      c.convA += binomial(next, 300, 0.05);
      c.convB += binomial(next, 300, 0.06);
      looks.push({ ...c });
      const now = alwaysValidDifference(looks);
      if (previous.pValue !== null) assert.ok((now.pValue ?? 1) <= previous.pValue);
      if (previous.diffLow !== null && previous.diffHigh !== null) {
        assert.ok((now.diffHigh ?? 0) - (now.diffLow ?? 0) <= previous.diffHigh - previous.diffLow + 1e-15);
      }
      previous = now;
    }
  });

  test('no information gives nulls, not NaN', () => {
    const r = alwaysValidDifference([
      { convA: 0, nA: 0, convB: 0, nB: 5 },
      { convA: 0, nA: 10, convB: 0, nB: 10 },
    ]);
    assert.deepEqual(r, { pValue: null, confidence: null, diff: 0, diffLow: null, diffHigh: null });
  });
});
