/**
 * Pure statistics for experiment reports: interval estimates for conversion rates, the
 * two-proportion z test with a relative-lift interval, Welch's t test for value goals, and the
 * normal and Student t distribution functions they rest on.
 *
 * The distributions come from stdlib (stdlib.io), a maintained numerical library:
 * - @stdlib/stats-base-dists-normal-cdf: Φ, for z-test p-values (through erfc, so the lower tail
 *   keeps relative accuracy);
 * - @stdlib/stats-base-dists-normal-quantile: Φ⁻¹, the t quantile at (effectively) infinite df;
 * - @stdlib/stats-base-dists-t-cdf: the Student t CDF, for Welch p-values;
 * - @stdlib/stats-base-dists-t-quantile: the Student t quantile, for the interval of a difference;
 * - @stdlib/stats-base-dists-chisquare-cdf: the chi-square CDF, for the sample-ratio check.
 *
 * Conventions, because a report page must never show "NaN" or "Infinity":
 * - every statistic that is undefined for the data (no trials, zero baseline, no spread) is
 *   returned as `null`, never NaN or ±Infinity; the Wilson interval of no trials is 0..0;
 * - inputs that cannot come from real aggregates (negative or non-finite counts, more
 *   successes than trials, a probability outside (0, 1) asked of a quantile) throw a
 *   `RangeError`: a corrupt aggregate should be loud, not a plausible-looking number;
 * - comparisons are always "B against A": `lift`, `diff`, `z` and `t` are positive when B is
 *   higher than A.
 *
 * Over 400 lines on purpose: every formula the reports rest on, each beside its reference, so a
 * reviewer checks the statistics in one file.
 */

import chiSquareDistributionCdf from '@stdlib/stats-base-dists-chisquare-cdf';
import normalDistributionCdf from '@stdlib/stats-base-dists-normal-cdf';
import normalDistributionQuantile from '@stdlib/stats-base-dists-normal-quantile';
import studentTDistributionCdf from '@stdlib/stats-base-dists-t-cdf';
import studentTDistributionQuantile from '@stdlib/stats-base-dists-t-quantile';

/** z for a two-sided 95% interval, Φ⁻¹(0.975); a literal so every caller agrees to the last digit. */
export const Z_95 = 1.959963984540054;

/**
 * From here on Student's t and the normal distribution agree to double precision, and the stdlib t
 * quantile stops converging (it returns 0 from df ≈ 1e17), so the normal distribution stands in.
 * Also covers df = Infinity, which the stdlib t functions do not treat as the normal limit.
 */
const NORMAL_LIMIT_DF = 1e16;

export interface WilsonInterval {
  /** successes / trials, 0 when there were no trials */
  rate: number;
  low: number;
  high: number;
}

export interface TwoProportionResult {
  /** (pB - pA) / pA; null when A has no conversions or a group is empty */
  lift: number | null;
  /** 95% interval of the lift (Katz log-ratio method); null when either group has no conversions */
  liftLow: number | null;
  liftHigh: number | null;
  /** pooled z statistic, positive when B converts better; null when it is 0/0 */
  z: number | null;
  /** two-sided p-value of the pooled z test */
  pValue: number | null;
  /** 1 - pValue, "the confidence that the difference is real" as reports phrase it */
  confidence: number | null;
}

export interface WelchResult {
  /** (meanB - meanA) / standard error */
  t: number | null;
  /** Welch–Satterthwaite degrees of freedom */
  df: number | null;
  /** two-sided p-value from the Student t distribution with `df` degrees of freedom */
  pValue: number | null;
  /** 1 - pValue */
  confidence: number | null;
  /** meanB - meanA; null only when a group is empty */
  diff: number | null;
  /** 95% interval of `diff` */
  diffLow: number | null;
  diffHigh: number | null;
}

export interface MeanAndVariance {
  mean: number;
  variance: number;
}

// ---------------------------------------------------------------------------------------------
// Input checks
// ---------------------------------------------------------------------------------------------

function requireFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be a finite number, got ${value}`);
}

function requireCount(name: string, value: number): void {
  requireFinite(name, value);
  if (value < 0) throw new RangeError(`${name} must not be negative, got ${value}`);
}

function requireProportion(successesName: string, successes: number, trialsName: string, trials: number) {
  requireCount(successesName, successes);
  requireCount(trialsName, trials);
  if (successes > trials) {
    throw new RangeError(`${successesName} (${successes}) must not exceed ${trialsName} (${trials})`);
  }
}

function requireDegreesOfFreedom(df: number): void {
  // Infinity is allowed: the t distribution with infinite df is the normal distribution.
  if (Number.isNaN(df) || df <= 0) throw new RangeError(`df must be positive, got ${df}`);
}

/** Last line of defence for the "never NaN or Infinity" promise of the report-level functions. */
function finiteOrNull(value: number | null): number | null {
  return value !== null && Number.isFinite(value) ? value : null;
}

// ---------------------------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------------------------

function standardNormalCdf(z: number): number {
  return normalDistributionCdf(z, 0, 1);
}

/**
 * Standard normal CDF Φ(z), accurate to ~1e-15 (absolute, and relative in the lower tail). Used
 * for z-test p-values; ±Infinity give 0 and 1.
 */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) throw new RangeError('normalCdf needs a number, got NaN');
  return standardNormalCdf(z);
}

/**
 * Two-sided tail P(|T| ≥ |t|) for Student's t with `df` degrees of freedom. Doubles the lower
 * tail at -|t| rather than computing 2(1 - CDF), so small p-values keep their digits.
 */
function studentTTwoSided(t: number, df: number): number {
  const negative = -Math.abs(t);
  return 2 * (df >= NORMAL_LIMIT_DF ? standardNormalCdf(negative) : studentTDistributionCdf(negative, df));
}

/**
 * Student t CDF P(T ≤ t) with `df` > 0 degrees of freedom (non-integer df allowed, as Welch's
 * test produces them; df = Infinity is the normal distribution). Needed because report groups can
 * be small enough that the normal approximation overstates significance.
 */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t)) throw new RangeError('studentTCdf needs a number, got NaN');
  requireDegreesOfFreedom(df);
  return df >= NORMAL_LIMIT_DF ? standardNormalCdf(t) : studentTDistributionCdf(t, df);
}

/**
 * Inverse of `studentTCdf`: the t with P(T ≤ t) = p, for 0 < p < 1 and df > 0. Gives the critical
 * values for confidence intervals on mean differences (e.g. p = 0.975 for a two-sided 95% interval).
 * p = 0 or 1 would be ∓Infinity, so they throw instead; a quantile beyond the double range (only
 * with df far below 1) is returned as ±Number.MAX_VALUE so the answer is always finite.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile needs 0 < p < 1, got ${p}`);
  requireDegreesOfFreedom(df);
  if (p === 0.5) return 0;
  const t = df >= NORMAL_LIMIT_DF ? normalDistributionQuantile(p, 0, 1) : studentTDistributionQuantile(p, df);
  return Math.max(-Number.MAX_VALUE, Math.min(Number.MAX_VALUE, t));
}

/**
 * Chi-square CDF P(X ≤ x) with `df` > 0 degrees of freedom; x ≤ 0 gives 0.
 */
export function chiSquareCdf(x: number, df: number): number {
  if (Number.isNaN(x)) throw new RangeError('chiSquareCdf needs a number, got NaN');
  if (!(df > 0) || !Number.isFinite(df)) throw new RangeError(`df must be positive and finite, got ${df}`);
  if (x <= 0) return 0;
  return chiSquareDistributionCdf(x, df);
}

/**
 * Upper tail P(X ≥ x) of the chi-square distribution. One degree of freedom is the square of a
 * standard normal, so there it is 2Φ(-√x), which keeps tiny p-values; otherwise 1 - CDF, exact
 * to about 1e-16 absolute (enough for the 0.001 threshold it is compared with).
 */
export function chiSquareUpperTail(x: number, df: number): number {
  const cdf = chiSquareCdf(x, df);
  if (x <= 0) return 1;
  if (df === 1) return Math.min(1, 2 * standardNormalCdf(-Math.sqrt(x)));
  return Math.max(0, 1 - cdf);
}

// ---------------------------------------------------------------------------------------------
// Report statistics
// ---------------------------------------------------------------------------------------------

/**
 * Mean and sample variance (n - 1 denominator) from running sums. Reports keep count / sum /
 * sum of squares per variation and goal because those aggregate by plain addition, so this is how
 * value statistics are derived. An empty group has mean 0; fewer than two values have variance 0
 * (callers must still check the count: `welchTTest` refuses n < 2). The textbook one-pass formula
 * can lose digits to cancellation when values are large and close together; the result is clamped
 * at 0 so rounding cannot produce a negative variance.
 */
export function meanAndVariance(count: number, sum: number, sumOfSquares: number): MeanAndVariance {
  requireCount('count', count);
  requireFinite('sum', sum);
  requireFinite('sumOfSquares', sumOfSquares);
  if (count === 0) return { mean: 0, variance: 0 };
  const mean = sum / count;
  if (count < 2) return { mean, variance: 0 };
  const variance = Math.max(0, (sumOfSquares - sum * mean) / (count - 1));
  return { mean, variance: Number.isFinite(variance) ? variance : 0 };
}

/**
 * Conversion rate with its Wilson score interval (Wilson 1927). Chosen over the Wald interval
 * p ± z√(p(1-p)/n) because it stays inside [0, 1] and keeps near-nominal coverage at the small
 * counts and extreme rates early experiments have (Newcombe 1998). `z` defaults to the two-sided
 * 95% value. No trials gives 0, 0, 0.
 */
export function wilsonInterval(successes: number, trials: number, z: number = Z_95): WilsonInterval {
  requireProportion('successes', successes, 'trials', trials);
  requireFinite('z', z);
  if (trials === 0) return { rate: 0, low: 0, high: 0 };
  const rate = successes / trials;
  const z2 = z * z;
  const denominator = 1 + z2 / trials;
  const centre = (rate + z2 / (2 * trials)) / denominator;
  const halfWidth =
    (Math.abs(z) / denominator) * Math.sqrt((rate * (1 - rate)) / trials + z2 / (4 * trials * trials));
  // At 0 and n successes the bound is exactly 0 or 1; pin it so rounding shows no 1e-17.
  const low = successes === 0 ? 0 : Math.max(0, centre - halfWidth);
  const high = successes === trials ? 1 : Math.min(1, centre + halfWidth);
  return { rate, low, high };
}

/**
 * Compares conversion rates of A (baseline) and B.
 *
 * - lift = (pB - pA) / pA, the number a report headline shows.
 * - Its 95% interval uses the log-ratio (delta-method) interval for the ratio of proportions
 *   (Katz et al. 1978): ln(pB/pA) ± z·√(1/cB - 1/nB + 1/cA - 1/nA), exponentiated, minus 1. Unlike
 *   "difference interval / pA" it accounts for the uncertainty of the baseline in the denominator,
 *   and it is asymmetric the way a ratio should be. It needs conversions in both groups.
 * - z is the pooled two-proportion z statistic (the test of H0: pA = pB, so the variance is
 *   estimated under H0), with a two-sided p-value; its square equals Pearson's chi-square without
 *   continuity correction. confidence = 1 - p.
 */
export function twoProportionTest(convA: number, nA: number, convB: number, nB: number): TwoProportionResult {
  requireProportion('convA', convA, 'nA', nA);
  requireProportion('convB', convB, 'nB', nB);
  const none: TwoProportionResult = {
    lift: null,
    liftLow: null,
    liftHigh: null,
    z: null,
    pValue: null,
    confidence: null,
  };
  if (nA === 0 || nB === 0) return none;

  const pA = convA / nA;
  const pB = convB / nB;

  let lift: number | null = null;
  let liftLow: number | null = null;
  let liftHigh: number | null = null;
  if (convA > 0) {
    lift = (pB - pA) / pA;
    if (convB > 0) {
      const logRatio = Math.log(pB / pA);
      const variance = Math.max(0, 1 / convB - 1 / nB + 1 / convA - 1 / nA);
      const margin = Z_95 * Math.sqrt(variance);
      liftLow = Math.exp(logRatio - margin) - 1;
      liftHigh = Math.exp(logRatio + margin) - 1;
    }
  }

  let z: number | null = null;
  let pValue: number | null = null;
  const pooled = (convA + convB) / (nA + nB);
  const standardError = Math.sqrt(pooled * (1 - pooled) * (1 / nA + 1 / nB));
  // Pooled rate 0 or 1 (nobody or everybody converted in both groups) leaves z = 0/0.
  if (standardError > 0) {
    z = (pB - pA) / standardError;
    // Two-sided: P(|Z| ≥ |z|) = 2Φ(-|z|), taken from the lower tail so tiny p keeps its digits.
    pValue = Math.min(1, 2 * standardNormalCdf(-Math.abs(z)));
  }

  const p = finiteOrNull(pValue);
  return {
    lift: finiteOrNull(lift),
    liftLow: finiteOrNull(liftLow),
    liftHigh: finiteOrNull(liftHigh),
    z: finiteOrNull(z),
    pValue: p,
    confidence: p === null ? null : 1 - p,
  };
}

/**
 * Welch's unequal-variances t test of meanB - meanA from per-group mean, sample variance and count
 * (see `meanAndVariance`). Welch rather than Student's pooled test because variations need not
 * share a variance, and Welch loses almost nothing when they do. Degrees of freedom by
 * Welch–Satterthwaite; p-value and the 95% interval of the difference from the Student t
 * distribution. Inference needs at least two values per group and some spread; otherwise those
 * fields are null (diff itself only needs both groups non-empty).
 */
export function welchTTest(
  meanA: number,
  varA: number,
  nA: number,
  meanB: number,
  varB: number,
  nB: number,
): WelchResult {
  requireFinite('meanA', meanA);
  requireFinite('meanB', meanB);
  requireCount('varA', varA);
  requireCount('varB', varB);
  requireCount('nA', nA);
  requireCount('nB', nB);

  const diff = nA > 0 && nB > 0 ? finiteOrNull(meanB - meanA) : null;
  const result: WelchResult = {
    t: null,
    df: null,
    pValue: null,
    confidence: null,
    diff,
    diffLow: null,
    diffHigh: null,
  };
  if (diff === null || nA < 2 || nB < 2) return result;

  const squaredErrorA = varA / nA;
  const squaredErrorB = varB / nB;
  const squaredError = squaredErrorA + squaredErrorB;
  // Both groups constant: t would be ±Infinity or 0/0, neither of which a report can show.
  if (!(squaredError > 0) || !Number.isFinite(squaredError)) return result;
  const standardError = Math.sqrt(squaredError);

  const t = diff / standardError;
  // Satterthwaite: (sA² + sB²)² / (sA⁴/(nA-1) + sB⁴/(nB-1)), written with shares of the total so
  // very small or very large variances cannot underflow or overflow the fourth powers.
  const shareA = squaredErrorA / squaredError;
  const shareB = squaredErrorB / squaredError;
  const df = 1 / ((shareA * shareA) / (nA - 1) + (shareB * shareB) / (nB - 1));
  if (!Number.isFinite(t) || !Number.isFinite(df) || !(df > 0)) return result;

  const pValue = Math.min(1, studentTTwoSided(t, df));
  const margin = studentTQuantile(0.975, df) * standardError;
  return {
    t,
    df,
    pValue,
    confidence: 1 - pValue,
    diff,
    diffLow: finiteOrNull(diff - margin),
    diffHigh: finiteOrNull(diff + margin),
  };
}

export interface SampleRatioResult {
  /** Pearson's chi-square statistic of the observed counts against the expected shares */
  chiSquare: number;
  /** categories - 1 */
  df: number;
  pValue: number;
}

/**
 * Pearson's chi-square goodness-of-fit test of observed counts against expected shares (weights,
 * any positive scale): the sample-ratio-mismatch check. Null when it cannot be asked: fewer than
 * two categories with a positive weight, or no observations.
 */
export function sampleRatioTest(observed: number[], weights: number[]): SampleRatioResult | null {
  if (observed.length !== weights.length) throw new RangeError('observed and weights differ in length');
  for (const [i, o] of observed.entries()) requireCount(`observed[${i}]`, o);
  for (const [i, w] of weights.entries()) requireCount(`weights[${i}]`, w);
  const total = observed.reduce((a, b) => a + b, 0);
  const weightTotal = weights.reduce((a, b) => a + b, 0);
  if (observed.length < 2 || total === 0 || !(weightTotal > 0)) return null;
  let chiSquare = 0;
  for (let i = 0; i < observed.length; i++) {
    const expected = (total * weights[i]) / weightTotal;
    // A weight-0 category cannot be expected to receive anything: callers leave them out.
    if (!(expected > 0)) throw new RangeError(`weights[${i}] must be positive`);
    const d = observed[i] - expected;
    chiSquare += (d * d) / expected;
  }
  const df = observed.length - 1;
  return { chiSquare, df, pValue: chiSquareUpperTail(chiSquare, df) };
}

// ---------------------------------------------------------------------------------------------
// Always-valid (sequential) inference
// ---------------------------------------------------------------------------------------------

/**
 * Scale of the mixing distribution of the mixture sequential probability ratio test, relative to
 * the pooled conversion rate: the test is most powerful against differences of about 10% of the
 * rate, the lifts experiments are usually run to find. Fixed in advance: tuning it to the data seen
 * would void the guarantee.
 */
export const MSPRT_TAU_RELATIVE = 0.1;

/** Cumulative counts of the baseline (A) and a variation (B) at one look. */
export interface Look {
  convA: number;
  nA: number;
  convB: number;
  nB: number;
}

export interface SequentialResult {
  /** always-valid p-value: the smallest 1/Λ over the looks so far */
  pValue: number | null;
  confidence: number | null;
  /** pB - pA at the last look */
  diff: number | null;
  /** always-valid 95% confidence sequence of pB - pA (the intersection over the looks) */
  diffLow: number | null;
  diffHigh: number | null;
}

/**
 * Always-valid p-value and confidence sequence for the difference of two conversion rates, by the
 * normal-mixture sequential probability ratio test of Johari, Koomen, Pekelis & Walsh, "Always
 * Valid Inference: Continuous Monitoring of A/B Tests" (Operations Research 70(3), 2022; arXiv
 * 1512.04922, 2015), the method of Optimizely's Stats Engine. With d = pB - pA, its variance
 * V = pA(1-pA)/nA + pB(1-pB)/nB and the mixture N(0, τ²) over the true difference:
 *   Λ = √(V / (V + τ²)) · exp(τ² d² / (2V(V + τ²)))
 * The p-value is min over looks of 1/Λ, so it never rises: reading it after every day and
 * stopping at the first p < α keeps the false-positive rate at α. The confidence sequence holds the
 * differences θ with Λ(θ) < 1/α at every look:
 *   |d - θ| < √(2V(V + τ²)/τ² · (ln(1/α) + ½ ln((V + τ²)/V))).
 * V and τ (MSPRT_TAU_RELATIVE × the pooled rate) use the rates estimated at each look, as the
 * paper's large-sample version does. Looks with no information (an empty group, no conversions at
 * all) are skipped.
 */
export function alwaysValidDifference(looks: Look[], alpha = 0.05): SequentialResult {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  let pValue: number | null = null;
  let low = Number.NEGATIVE_INFINITY;
  let high = Number.POSITIVE_INFINITY;
  let diff: number | null = null;
  for (const look of looks) {
    requireProportion('convA', look.convA, 'nA', look.nA);
    requireProportion('convB', look.convB, 'nB', look.nB);
    if (look.nA === 0 || look.nB === 0) continue;
    const pA = look.convA / look.nA;
    const pB = look.convB / look.nB;
    diff = pB - pA;
    const v = (pA * (1 - pA)) / look.nA + (pB * (1 - pB)) / look.nB;
    const pooled = (look.convA + look.convB) / (look.nA + look.nB);
    const tau = MSPRT_TAU_RELATIVE * pooled;
    const tau2 = tau * tau;
    if (!(v > 0) || !(tau2 > 0)) continue;
    const logLambda = 0.5 * Math.log(v / (v + tau2)) + (tau2 * diff * diff) / (2 * v * (v + tau2));
    const p = Math.min(1, Math.exp(-logLambda));
    pValue = pValue === null ? p : Math.min(pValue, p);
    const radius = Math.sqrt(
      ((2 * v * (v + tau2)) / tau2) * (Math.log(1 / alpha) + 0.5 * Math.log((v + tau2) / v)),
    );
    const lookLow = diff - radius;
    const lookHigh = diff + radius;
    // The intersection of the looks' intervals; estimated variances can (rarely) leave it empty,
    // and then the latest look's interval stands rather than an impossible one.
    const nextLow = Math.max(low, lookLow);
    const nextHigh = Math.min(high, lookHigh);
    if (nextLow <= nextHigh) {
      low = nextLow;
      high = nextHigh;
    } else {
      low = lookLow;
      high = lookHigh;
    }
  }
  const p = finiteOrNull(pValue);
  return {
    pValue: p,
    confidence: p === null ? null : 1 - p,
    diff: finiteOrNull(diff),
    diffLow: finiteOrNull(Number.isFinite(low) ? low : null),
    diffHigh: finiteOrNull(Number.isFinite(high) ? high : null),
  };
}

// ---------------------------------------------------------------------------------------------
// Multiple comparisons
// ---------------------------------------------------------------------------------------------

/**
 * Holm's step-down adjustment (Holm, "A simple sequentially rejective multiple test procedure",
 * Scandinavian Journal of Statistics 6(2), 1979): sorted ascending, the i-th of m p-values becomes
 * max over j ≤ i of min(1, (m - j + 1) · p(j)). Rejecting where the adjusted p < α keeps the chance
 * of any false winner among the m comparisons at α, for any dependence between them; it is
 * uniformly more powerful than Bonferroni. Nulls (untestable comparisons) stay null and are not
 * counted in m. Valid for always-valid p-values too: each one is a valid p-value at any stopping time.
 */
export function holmAdjust(pValues: readonly (number | null)[]): (number | null)[] {
  const tested = pValues
    .map((p, index) => ({ p, index }))
    .filter((entry): entry is { p: number; index: number } => entry.p !== null);
  for (const { p, index } of tested) {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`pValues[${index}] must be in [0, 1], got ${p}`);
  }
  tested.sort((a, b) => a.p - b.p);
  const adjusted: (number | null)[] = pValues.map(() => null);
  const m = tested.length;
  let running = 0;
  tested.forEach(({ p, index }, i) => {
    running = Math.max(running, Math.min(1, (m - i) * p));
    adjusted[index] = running;
  });
  return adjusted;
}
