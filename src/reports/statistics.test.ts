import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  chiSquareCdf,
  chiSquareUpperTail,
  meanAndVariance,
  normalCdf,
  studentTCdf,
  studentTQuantile,
  twoProportionTest,
  welchTTest,
  wilsonInterval,
} from './statistics.js';

/** Asserts `actual` is a finite number within `tolerance` of `expected`. */
function close(actual: number | null, expected: number, tolerance: number, label = ''): void {
  assert.ok(
    typeof actual === 'number' && Number.isFinite(actual),
    `${label}: expected a number, got ${actual}`,
  );
  assert.ok(
    Math.abs(actual - expected) <= tolerance,
    `${label}: expected ${expected} ± ${tolerance}, got ${actual} (off by ${Math.abs(actual - expected)})`,
  );
}

/** Asserts `actual` is within a relative `tolerance` of `expected` (for far-tail probabilities). */
function relativelyClose(actual: number, expected: number, tolerance: number, label = ''): void {
  close(actual, expected, Math.abs(expected) * tolerance, label);
}

/** Every field is null or a finite number: the report must never show NaN or Infinity. */
function assertAllFiniteOrNull(result: object, label: string): void {
  for (const [key, value] of Object.entries(result)) {
    assert.ok(
      value === null || (typeof value === 'number' && Number.isFinite(value)),
      `${label}: ${key} = ${value}`,
    );
  }
}

/** Deterministic PRNG (mulberry32) so the sweep below is reproducible. */
function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let r = Math.imul(state ^ (state >>> 15), 1 | state);
    r = (r + Math.imul(r ^ (r >>> 7), 61 | r)) ^ r;
    return ((r ^ (r >>> 14)) >>> 0) / 4294967296;
  };
}

describe('normalCdf', () => {
  test('matches tabulated values', () => {
    // Abramowitz & Stegun (1964), Handbook of Mathematical Functions, Table 26.1:
    // P(1.96) = 0.97500 21048 51780, P(1.00) = 0.84134 47460 68543, P(5.00) = 0.99999 97133 48428.
    close(normalCdf(1.96), 0.97500210485178, 1e-12, 'Φ(1.96)');
    close(normalCdf(-1), 1 - 0.841344746068543, 1e-12, 'Φ(-1)');
    close(normalCdf(1), 0.841344746068543, 1e-12, 'Φ(1)');
    close(normalCdf(5), 0.999999713348428, 1e-14, 'Φ(5)');
    close(normalCdf(0), 0.5, 1e-15, 'Φ(0)');
  });

  test('keeps relative accuracy in the far lower tail', () => {
    // 1 - A&S Table 26.1 P(5) = 2.86651 572e-7; R: pnorm(-8) = 6.220961e-16.
    relativelyClose(normalCdf(-5), 2.86651572e-7, 1e-7, 'Φ(-5)');
    relativelyClose(normalCdf(-8), 6.220961e-16, 1e-6, 'Φ(-8)');
  });

  test('is symmetric and monotone, with exact limits at ±Infinity', () => {
    for (const z of [0.1, 0.5, 1.3, 2.2, 3.7])
      close(normalCdf(z) + normalCdf(-z), 1, 1e-15, `symmetry at ${z}`);
    let previous = 0;
    for (let z = -6; z <= 6; z += 0.25) {
      const value = normalCdf(z);
      assert.ok(value > previous, `Φ not increasing at ${z}`);
      previous = value;
    }
    assert.equal(normalCdf(Number.NEGATIVE_INFINITY), 0);
    assert.equal(normalCdf(Number.POSITIVE_INFINITY), 1);
    assert.throws(() => normalCdf(Number.NaN), RangeError);
  });
});

describe('chiSquareCdf and chiSquareUpperTail', () => {
  test('give the tabulated upper critical values', () => {
    // NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.4 "Critical Values of the
    // Chi-Square Distribution" (upper tail): df 1 at 0.05: 3.841, at 0.001: 10.828;
    // df 2 at 0.05: 5.991; df 10 at 0.05: 18.307, at 0.001: 29.588; df 5 at 0.01: 15.086.
    const table: [number, number, number][] = [
      [1, 3.841, 0.05],
      [1, 10.828, 0.001],
      [2, 5.991, 0.05],
      [10, 18.307, 0.05],
      [10, 29.588, 0.001],
      [5, 15.086, 0.01],
    ];
    for (const [df, x, upper] of table) {
      // Three decimals in the table: the tail at the rounded value is within 0.1% (relative) of it.
      relativelyClose(chiSquareUpperTail(x, df), upper, 2e-3, `upper tail at ${x}, df ${df}`);
      close(chiSquareCdf(x, df), 1 - upper, 2e-5, `CDF at ${x}, df ${df}`);
    }
  });

  test('matches the closed form for 2 degrees of freedom, and keeps tiny tails at 1 df', () => {
    // df 2 is the exponential distribution with mean 2: P(X ≥ x) = e^(-x/2).
    for (const x of [0.1, 1, 7.5, 30])
      close(chiSquareUpperTail(x, 2), Math.exp(-x / 2), 1e-14, `df 2 at ${x}`);
    // df 1 is Z²: P(X ≥ 25) = 2Φ(-5) = 5.733031e-7 (A&S Table 26.1).
    relativelyClose(chiSquareUpperTail(25, 1), 5.733031437583878e-7, 1e-12, 'df 1 at 25');
    assert.equal(chiSquareUpperTail(0, 3), 1);
    assert.equal(chiSquareCdf(-1, 3), 0);
    assert.throws(() => chiSquareCdf(1, 0), RangeError);
  });
});

describe('studentTCdf', () => {
  test('matches a published value', () => {
    // R: pt(2, 5) = 0.9490303
    close(studentTCdf(2, 5), 0.9490303, 5e-8, 'pt(2, 5)');
    close(studentTCdf(-2, 5), 1 - 0.9490303, 5e-8, 'pt(-2, 5)');
  });

  test('matches the closed forms for 1 and 2 degrees of freedom', () => {
    // df = 1 is the Cauchy distribution: F(t) = ½ + atan(t)/π.
    // df = 2: F(t) = ½ + t / (2√(t² + 2)). (Both e.g. in Johnson, Kotz & Balakrishnan,
    // Continuous Univariate Distributions vol. 2, ch. 28.)
    for (const t of [-30, -3, -0.5, 0, 0.2, 1, 4.5, 100]) {
      close(studentTCdf(t, 1), 0.5 + Math.atan(t) / Math.PI, 1e-13, `Cauchy at ${t}`);
      close(studentTCdf(t, 2), 0.5 + t / (2 * Math.sqrt(t * t + 2)), 1e-13, `df 2 at ${t}`);
    }
  });

  test('approaches the normal distribution as df grows, and equals it at df = Infinity', () => {
    close(studentTCdf(1.96, 1e7), normalCdf(1.96), 1e-7, 'df 1e7');
    close(studentTCdf(-2.5, Number.POSITIVE_INFINITY), normalCdf(-2.5), 1e-15, 'df ∞');
  });

  test('rejects impossible degrees of freedom', () => {
    assert.throws(() => studentTCdf(1, 0), RangeError);
    assert.throws(() => studentTCdf(1, -3), RangeError);
    assert.throws(() => studentTCdf(Number.NaN, 3), RangeError);
  });
});

describe('studentTQuantile', () => {
  test('gives the tabulated two-sided 95% critical values', () => {
    // NIST/SEMATECH e-Handbook of Statistical Methods, §1.3.6.7.2 (upper critical values of
    // Student's t, α = 0.025): df 1 → 12.706, df 10 → 2.228, df 30 → 2.042.
    // More digits from R: qt(0.975, 1) = 12.7062, qt(0.975, 10) = 2.228139, qt(0.975, 30) = 2.042272.
    close(studentTQuantile(0.975, 1), 12.7062047, 1e-6, 'df 1');
    close(studentTQuantile(0.975, 10), 2.228139, 1e-6, 'df 10');
    close(studentTQuantile(0.975, 30), 2.042272, 1e-6, 'df 30');
    close(studentTQuantile(0.025, 10), -2.228139, 1e-6, 'lower df 10');
    // df 1 in closed form: tan(π (p - ½)).
    close(studentTQuantile(0.9, 1), Math.tan(Math.PI * 0.4), 1e-9, 'Cauchy 0.9');
  });

  test('inverts the CDF', () => {
    for (const df of [0.7, 1, 2.5, 7, 17.78, 120, 5000]) {
      for (const p of [1e-6, 0.01, 0.2, 0.5, 0.8, 0.975, 0.999999]) {
        close(studentTCdf(studentTQuantile(p, df), df), p, 1e-12 + p * 1e-9, `df ${df}, p ${p}`);
      }
    }
  });

  test('tends to the normal quantile for large df', () => {
    close(studentTQuantile(0.975, 1e8), 1.959963984540054, 1e-6, 'df 1e8');
  });

  test('stays at the normal quantile for astronomically large df, where t and normal coincide', () => {
    // Welch df grows with the group sizes; the answer must not collapse to 0 (or hang) there.
    for (const df of [1e15, 1e16, 1e17, 1e300, Number.POSITIVE_INFINITY]) {
      close(studentTQuantile(0.975, df), 1.959963984540054, 1e-12, `df ${df}`);
      close(studentTCdf(-1.96, df), normalCdf(-1.96), 1e-12, `CDF df ${df}`);
    }
    const welch = welchTTest(0, 1, 1e20, 1, 1, 1e20);
    assertAllFiniteOrNull(welch, 'groups of 1e20');
    assert.ok((welch.diffLow ?? 0) < 1 && (welch.diffHigh ?? 2) > 1, 'interval around the difference');
  });

  test('refuses p outside (0, 1), whose answers would be infinite', () => {
    assert.throws(() => studentTQuantile(0, 5), RangeError);
    assert.throws(() => studentTQuantile(1, 5), RangeError);
    assert.throws(() => studentTQuantile(0.5, 0), RangeError);
  });
});

describe('wilsonInterval', () => {
  test('matches Newcombe (1998), Table I, method 3 (score interval without continuity correction)', () => {
    // Newcombe RG. Two-sided confidence intervals for the single proportion: comparison of seven
    // methods. Statistics in Medicine 1998;17:857–872, Table I. Published to 4 decimals.
    const cases: Array<[number, number, number, number]> = [
      [81, 263, 0.2553, 0.3662],
      [15, 148, 0.0624, 0.1605],
      [0, 20, 0, 0.1611],
      [1, 29, 0.0061, 0.1718],
    ];
    for (const [successes, trials, low, high] of cases) {
      const interval = wilsonInterval(successes, trials);
      close(interval.rate, successes / trials, 1e-15, `${successes}/${trials} rate`);
      close(interval.low, low, 5e-5, `${successes}/${trials} low`);
      close(interval.high, high, 5e-5, `${successes}/${trials} high`);
    }
  });

  test('pins the bounds at 0 and 1 for all-or-nothing results', () => {
    assert.equal(wilsonInterval(0, 20).low, 0);
    const all = wilsonInterval(20, 20);
    assert.equal(all.high, 1);
    assert.equal(all.rate, 1);
    // Mirror image of 0/20.
    close(all.low, 1 - 0.1611, 5e-5, '20/20 low');
  });

  test('no trials gives zeros, not NaN', () => {
    assert.deepEqual(wilsonInterval(0, 0), { rate: 0, low: 0, high: 0 });
  });

  test('a wider z gives a wider interval (99%: z = 2.5758)', () => {
    const narrow = wilsonInterval(30, 100);
    const wide = wilsonInterval(30, 100, 2.5758293035489);
    assert.ok(wide.low < narrow.low && wide.high > narrow.high);
  });

  test('rejects impossible counts', () => {
    assert.throws(() => wilsonInterval(5, 4), RangeError);
    assert.throws(() => wilsonInterval(-1, 4), RangeError);
    assert.throws(() => wilsonInterval(1, Number.NaN), RangeError);
  });
});

describe('twoProportionTest', () => {
  test('200/1000 vs 250/1000', () => {
    // By hand: pooled p = 450/2000 = 0.225, SE = √(0.225 · 0.775 · (1/1000 + 1/1000)) = 0.0186748,
    // z = 0.05 / 0.0186748 = 2.6774. z² = 7.1685 is the chi-square that
    // R prop.test(c(250, 200), c(1000, 1000), correct = FALSE) reports, with p-value = 0.00742.
    const result = twoProportionTest(200, 1000, 250, 1000);
    close(result.z, 2.6774, 1e-4, 'z');
    close(result.pValue, 0.00742, 5e-6, 'p');
    close(result.confidence, 1 - 0.00742, 5e-6, 'confidence');
    close(result.lift, 0.25, 1e-12, 'lift');
    // Katz log-ratio interval by hand: ln(1.25) = 0.2231436, SE = √(1/250 - 1/1000 + 1/200 - 1/1000)
    // = √0.007 = 0.0836660; 0.2231436 ± 1.959964 · 0.0836660 → exp(0.0591616) - 1 = 0.060947,
    // exp(0.3871256) - 1 = 0.472742.
    close(result.liftLow, 0.060947, 2e-6, 'lift low');
    close(result.liftHigh, 0.472742, 2e-6, 'lift high');
  });

  test('B worse than A gives negative z and lift, and the same p as the mirror case', () => {
    const result = twoProportionTest(250, 1000, 200, 1000);
    close(result.z, -2.6774, 1e-4, 'z');
    close(result.pValue, 0.00742, 5e-6, 'p');
    close(result.lift, -0.2, 1e-12, 'lift');
    assert.ok((result.liftLow ?? 0) < -0.2 && (result.liftHigh ?? 0) > -0.2, 'interval around the lift');
  });

  test('equal groups: no lift, z 0, p 1, confidence 0', () => {
    const result = twoProportionTest(50, 500, 50, 500);
    assert.equal(result.lift, 0);
    assert.equal(result.z, 0);
    assert.equal(result.pValue, 1);
    assert.equal(result.confidence, 0);
    // The log-ratio interval is symmetric on the log scale around 0.
    close(Math.log(1 + (result.liftLow ?? 0)), -Math.log(1 + (result.liftHigh ?? 0)), 1e-12, 'log symmetry');
  });

  test('an empty group makes everything null', () => {
    const none = { lift: null, liftLow: null, liftHigh: null, z: null, pValue: null, confidence: null };
    assert.deepEqual(twoProportionTest(0, 0, 5, 100), none);
    assert.deepEqual(twoProportionTest(5, 100, 0, 0), none);
  });

  test('a zero baseline leaves the lift undefined but still tests the difference', () => {
    const result = twoProportionTest(0, 100, 5, 100);
    assert.equal(result.lift, null);
    assert.equal(result.liftLow, null);
    assert.equal(result.liftHigh, null);
    // Pooled p = 0.025, SE = √(0.025 · 0.975 · 0.02) = 0.0220794, z = 0.05 / 0.0220794 = 2.26455.
    close(result.z, 2.26455, 1e-5, 'z');
    close(result.pValue, 2 * normalCdf(-2.26455), 1e-6, 'p');
  });

  test('no conversions in B: lift is -100% but the log-ratio interval is undefined', () => {
    const result = twoProportionTest(10, 100, 0, 100);
    assert.equal(result.lift, -1);
    assert.equal(result.liftLow, null);
    assert.equal(result.liftHigh, null);
    assert.ok(result.z !== null && result.z < 0);
  });

  test('nobody or everybody converting leaves z as 0/0, reported as null', () => {
    const nobody = twoProportionTest(0, 100, 0, 100);
    assert.equal(nobody.z, null);
    assert.equal(nobody.pValue, null);
    assert.equal(nobody.confidence, null);
    const everybody = twoProportionTest(100, 100, 40, 40);
    assert.equal(everybody.z, null);
    assert.equal(everybody.lift, 0);
    assert.equal(everybody.liftLow, 0);
    assert.equal(everybody.liftHigh, 0);
  });

  test('tiny samples still give finite answers', () => {
    const result = twoProportionTest(1, 1, 0, 1);
    close(result.z, -Math.SQRT2, 1e-12, 'z'); // pooled ½: SE = √(¼ · 2) = 1/√2
    close(result.pValue, 2 * normalCdf(-Math.SQRT2), 1e-12, 'p');
    assert.equal(result.lift, -1);
  });

  test('rejects impossible counts', () => {
    assert.throws(() => twoProportionTest(11, 10, 1, 10), RangeError);
    assert.throws(() => twoProportionTest(1, 10, -1, 10), RangeError);
  });
});

describe('meanAndVariance', () => {
  test('derives mean and sample variance from sums', () => {
    // 2, 4, 4, 4, 5, 5, 7, 9: the Wikipedia "Standard deviation" example, mean 5 and population
    // variance 4, so the sample variance is 32 / 7.
    const values = [2, 4, 4, 4, 5, 5, 7, 9];
    const sum = values.reduce((a, b) => a + b, 0);
    const sumOfSquares = values.reduce((a, b) => a + b * b, 0);
    const { mean, variance } = meanAndVariance(values.length, sum, sumOfSquares);
    close(mean, 5, 1e-15, 'mean');
    close(variance, 32 / 7, 1e-13, 'variance');
  });

  test('empty and single-value groups', () => {
    assert.deepEqual(meanAndVariance(0, 0, 0), { mean: 0, variance: 0 });
    assert.deepEqual(meanAndVariance(1, 42, 42 * 42), { mean: 42, variance: 0 });
  });

  test('rounding cannot make the variance negative', () => {
    // 0.1 three times: the sums carry rounding error, and sumOfSquares - sum·mean is -3.5e-18.
    const { variance } = meanAndVariance(3, 0.1 + 0.1 + 0.1, 0.01 + 0.01 + 0.01);
    assert.ok(variance >= 0 && variance < 1e-15, `variance ${variance}`);
  });

  test('rejects impossible aggregates', () => {
    assert.throws(() => meanAndVariance(-1, 0, 0), RangeError);
    assert.throws(() => meanAndVariance(2, Number.NaN, 0), RangeError);
  });
});

describe('welchTTest', () => {
  // R documentation for t.test, example(t.test) on the `sleep` data (Cushny & Peebles 1905, as
  // used by Student 1908): t.test(extra ~ group, data = sleep) prints
  //   t = -1.8608, df = 17.776, p-value = 0.07939
  //   95 percent confidence interval: -3.3654832 0.2054832
  // R computes group 1 minus group 2; here B (group 2) minus A (group 1), so the signs flip.
  const group1 = [0.7, -1.6, -0.2, -1.2, -0.1, 3.4, 3.7, 0.8, 0.0, 2.0];
  const group2 = [1.9, 0.8, 1.1, 0.1, -0.1, 4.4, 5.5, 1.6, 4.6, 3.4];
  const aggregate = (values: number[]) =>
    meanAndVariance(
      values.length,
      values.reduce((a, b) => a + b, 0),
      values.reduce((a, b) => a + b * b, 0),
    );

  test('reproduces R on the sleep data, going through running sums', () => {
    const a = aggregate(group1);
    const b = aggregate(group2);
    close(a.mean, 0.75, 1e-12, 'mean A');
    close(b.mean, 2.33, 1e-12, 'mean B');
    const result = welchTTest(a.mean, a.variance, group1.length, b.mean, b.variance, group2.length);
    close(result.t, 1.8608, 1e-4, 't');
    close(result.df, 17.776, 1e-3, 'df');
    close(result.pValue, 0.07939, 1e-5, 'p');
    close(result.confidence, 1 - 0.07939, 1e-5, 'confidence');
    close(result.diff, 1.58, 1e-12, 'diff');
    close(result.diffLow, -0.2054832, 1e-7, 'diff low');
    close(result.diffHigh, 3.3654832, 1e-7, 'diff high');
  });

  test('swapping the groups flips t and the interval but not p', () => {
    const a = aggregate(group1);
    const b = aggregate(group2);
    const result = welchTTest(b.mean, b.variance, 10, a.mean, a.variance, 10);
    close(result.t, -1.8608, 1e-4, 't');
    close(result.pValue, 0.07939, 1e-5, 'p');
    close(result.diffLow, -3.3654832, 1e-7, 'diff low');
    close(result.diffHigh, 0.2054832, 1e-7, 'diff high');
  });

  test('equal variances and sizes reduce to Student t with 2n - 2 df', () => {
    // t = diff / √(2v/n) = 1 / √(2 · 4 / 8) = 1; df = 14; two-sided p = 2 (1 - pt(1, 14)).
    const result = welchTTest(10, 4, 8, 11, 4, 8);
    close(result.t, 1, 1e-12, 't');
    close(result.df, 14, 1e-12, 'df');
    close(result.pValue, 2 * (1 - studentTCdf(1, 14)), 1e-12, 'p');
  });

  test('equal means: t 0, p 1, confidence 0, interval symmetric around 0', () => {
    const result = welchTTest(5, 2, 30, 5, 3, 40);
    assert.equal(result.t, 0);
    assert.equal(result.pValue, 1);
    assert.equal(result.confidence, 0);
    assert.equal(result.diff, 0);
    close((result.diffLow ?? 0) + (result.diffHigh ?? 0), 0, 1e-15, 'symmetry');
    assert.ok((result.diffHigh ?? 0) > 0);
  });

  test('fewer than two values in a group: only the difference is known', () => {
    assert.deepEqual(welchTTest(1, 0, 1, 3, 2, 10), {
      t: null,
      df: null,
      pValue: null,
      confidence: null,
      diff: 2,
      diffLow: null,
      diffHigh: null,
    });
    assert.equal(welchTTest(1, 0, 0, 3, 2, 10).diff, null);
  });

  test('no spread in either group leaves t undefined, reported as null', () => {
    const result = welchTTest(1, 0, 10, 2, 0, 10);
    assert.equal(result.t, null);
    assert.equal(result.pValue, null);
    assert.equal(result.diff, 1);
  });

  test('one constant group: df falls back to the other group’s n - 1', () => {
    const result = welchTTest(1, 0, 10, 2, 9, 25);
    close(result.df, 24, 1e-12, 'df');
    close(result.t, 1 / Math.sqrt(9 / 25), 1e-12, 't');
  });

  test('two values per group (the smallest testable case) stays finite', () => {
    const result = welchTTest(0, 0.5, 2, 1, 0.5, 2);
    close(result.df, 2, 1e-12, 'df');
    close(result.t, 1 / Math.sqrt(0.5), 1e-12, 't');
    // df = 2 closed form: two-sided p = 1 - |t| / √(t² + 2).
    close(result.pValue, 1 - Math.sqrt(2) / Math.sqrt(2 + 2), 1e-12, 'p');
  });
});

describe('never NaN or Infinity', () => {
  test('sweep over random and extreme counts', () => {
    const random = seededRandom(20240601);
    const sizes = [0, 1, 2, 3, 10, 1000, 1e6, 1e9];
    const pick = () => sizes[Math.floor(random() * sizes.length)];
    for (let i = 0; i < 2000; i++) {
      const nA = pick();
      const nB = pick();
      const convA = Math.floor(random() < 0.2 ? (random() < 0.5 ? 0 : nA) : random() * (nA + 1));
      const convB = Math.floor(random() < 0.2 ? (random() < 0.5 ? 0 : nB) : random() * (nB + 1));
      const label = `${convA}/${nA} vs ${convB}/${nB}`;

      const wilson = wilsonInterval(convA, nA);
      assertAllFiniteOrNull(wilson, `wilson ${label}`);
      assert.ok(
        wilson.low >= 0 && wilson.low <= wilson.rate && wilson.rate <= wilson.high && wilson.high <= 1,
      );

      const proportions = twoProportionTest(convA, nA, convB, nB);
      assertAllFiniteOrNull(proportions, `proportions ${label}`);
      if (proportions.pValue !== null) assert.ok(proportions.pValue >= 0 && proportions.pValue <= 1);

      const scale = 10 ** Math.floor(random() * 12 - 6);
      const welch = welchTTest(
        random() * scale,
        random() < 0.2 ? 0 : random() * scale * scale,
        nA,
        random() * scale,
        random() < 0.2 ? 0 : random() * scale * scale,
        nB,
      );
      assertAllFiniteOrNull(welch, `welch ${label}`);
      if (welch.pValue !== null) assert.ok(welch.pValue >= 0 && welch.pValue <= 1);
      if (welch.diffLow !== null && welch.diffHigh !== null && welch.diff !== null) {
        assert.ok(welch.diffLow <= welch.diff && welch.diff <= welch.diffHigh);
      }
    }
  });

  test('extreme inputs', () => {
    assertAllFiniteOrNull(welchTTest(0, 1e-300, 2, 1e300, 1e-300, 2), 'huge difference, tiny variance');
    assertAllFiniteOrNull(welchTTest(0, 1e300, 1e9, 1, 1e300, 1e9), 'huge variance');
    assertAllFiniteOrNull(twoProportionTest(1, 1e12, 1e12, 1e12), 'extreme rates');
    assertAllFiniteOrNull(meanAndVariance(2, 1e200, 1e300), 'large sums');
  });
});
