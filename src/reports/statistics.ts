/**
 * Pure statistics for experiment reports: interval estimates for conversion rates, the
 * two-proportion z test with a relative-lift interval, Welch's t test for value goals, and the
 * distribution functions they rest on (normal, Student t) implemented here so the report has no
 * numeric dependency.
 *
 * Conventions, because a report page must never show "NaN" or "Infinity":
 * - every statistic that is undefined for the data (no trials, zero baseline, no spread) is
 *   returned as `null`, never NaN or ±Infinity; the Wilson interval of no trials is 0..0;
 * - inputs that cannot come from real aggregates (negative or non-finite counts, more
 *   successes than trials, a probability outside (0, 1) asked of a quantile) throw a
 *   `RangeError`: a corrupt aggregate should be loud, not a plausible-looking number;
 * - comparisons are always "B against A": `lift`, `diff`, `z` and `t` are positive when B is
 *   higher than A.
 */

/** z for a two-sided 95% interval, Φ⁻¹(0.975); a literal so every caller agrees to the last digit. */
export const Z_95 = 1.959963984540054;

/** Relative convergence target of the continued fractions and series below. */
const EPSILON = 1e-15;
/** Guards Lentz's method against dividing by an exact zero. */
const TINY = 1e-300;
const LN_SQRT_2PI = 0.9189385332046728;

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
// Special functions
// ---------------------------------------------------------------------------------------------

const LANCZOS_G = 7;
const LANCZOS_COEFFICIENTS = [
  0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059,
  12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7,
];

/**
 * ln Γ(x) for x > 0 by the Lanczos approximation (g = 7, 9 terms, ~1e-15 relative), with the
 * reflection formula below 0.5. The beta and gamma integrals below need it for their prefactors.
 */
export function lnGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`lnGamma needs a positive finite x, got ${x}`);
  if (x < 0.5) {
    // Γ(x) Γ(1 - x) = π / sin(πx); sin(πx) > 0 for 0 < x < 0.5.
    return Math.log(Math.PI / Math.sin(Math.PI * x)) - lnGamma(1 - x);
  }
  const z = x - 1;
  let series = LANCZOS_COEFFICIENTS[0];
  for (let i = 1; i < LANCZOS_COEFFICIENTS.length; i++) series += LANCZOS_COEFFICIENTS[i] / (z + i);
  const t = z + LANCZOS_G + 0.5;
  return LN_SQRT_2PI + (z + 0.5) * Math.log(t) - t + Math.log(series);
}

/**
 * Regularized lower incomplete gamma P(a, x) by its power series; converges quickly for x < a + 1.
 * (Numerical Recipes, 2nd ed., §6.2 `gser`.)
 */
function gammaPSeries(a: number, x: number): number {
  if (x <= 0) return 0;
  let term = 1 / a;
  let sum = term;
  for (let n = 1; n < 10_000; n++) {
    term *= x / (a + n);
    sum += term;
    if (Math.abs(term) < Math.abs(sum) * EPSILON) break;
  }
  return sum * Math.exp(-x + a * Math.log(x) - lnGamma(a));
}

/**
 * Regularized upper incomplete gamma Q(a, x) by its continued fraction (modified Lentz);
 * converges quickly for x > a + 1 and keeps full relative accuracy deep in the tail, which is
 * what tiny p-values need. (Numerical Recipes, 2nd ed., §6.2 `gcf`.)
 */
function gammaQContinuedFraction(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < 10_000; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return Math.exp(-x + a * Math.log(x) - lnGamma(a)) * h;
}

/**
 * erfc(x) for x ≥ 0 as Q(1/2, x²). Going through the incomplete gamma function rather than a
 * short rational fit gives ~1e-15 accuracy and keeps relative accuracy in the far tail.
 */
function erfcNonNegative(x: number): number {
  // erfc(27) is already below the smallest double; past that (and at Infinity, where the
  // continued fraction would compute Infinity · 0) the answer is 0.
  if (x >= 40) return 0;
  const x2 = x * x;
  if (x2 < 1.5) return 1 - gammaPSeries(0.5, x2);
  return gammaQContinuedFraction(0.5, x2);
}

/**
 * Continued fraction for the incomplete beta function by the modified Lentz method
 * (Numerical Recipes, 2nd ed., §6.4 `betacf`). It needs about O(√max(a, b)) terms, so the
 * iteration cap grows with the parameters instead of being a fixed 100 as in the book.
 */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const maxIterations = 1000 + Math.ceil(20 * Math.sqrt(Math.max(a, b)));
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= maxIterations; m++) {
    const m2 = 2 * m;
    // Even step.
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    // Odd step.
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) < EPSILON) break;
  }
  return h;
}

/**
 * Regularized incomplete beta I_x(a, b). `y` is 1 - x supplied by the caller, because the
 * callers can compute it without the cancellation that `1 - x` suffers when x is close to 1
 * (a small t with many degrees of freedom).
 */
export function regularizedIncompleteBeta(a: number, b: number, x: number, y: number = 1 - x): number {
  if (!(a > 0) || !(b > 0)) throw new RangeError(`incomplete beta needs a > 0 and b > 0, got ${a}, ${b}`);
  if (!(x >= 0 && x <= 1) || !(y >= 0 && y <= 1)) throw new RangeError(`x must lie in [0, 1], got ${x}`);
  if (x === 0) return 0;
  if (y === 0) return 1;
  const lnFront = lnGamma(a + b) - lnGamma(a) - lnGamma(b) + a * Math.log(x) + b * Math.log(y);
  const front = Math.exp(lnFront);
  // The continued fraction converges fast only on one side of the mean; use the symmetry
  // I_x(a, b) = 1 - I_{1-x}(b, a) on the other.
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(a, b, x)) / a;
  return 1 - (front * betaContinuedFraction(b, a, y)) / b;
}

// ---------------------------------------------------------------------------------------------
// Distributions
// ---------------------------------------------------------------------------------------------

/** Standard normal upper tail 1 - Φ(z), accurate in relative terms far into the tail. */
function normalUpperTail(z: number): number {
  if (z >= 0) return 0.5 * erfcNonNegative(z / Math.SQRT2);
  return 1 - 0.5 * erfcNonNegative(-z / Math.SQRT2);
}

/**
 * Standard normal CDF Φ(z) = ½ erfc(-z/√2), accurate to ~1e-15 (absolute, and relative in the
 * lower tail). Used for z-test p-values; ±Infinity give 0 and 1.
 */
export function normalCdf(z: number): number {
  if (Number.isNaN(z)) throw new RangeError('normalCdf needs a number, got NaN');
  return normalUpperTail(-z);
}

/**
 * Two-sided tail P(|T| ≥ |t|) for Student's t with `df` degrees of freedom, I_{df/(df+t²)}(df/2, ½).
 * Computed directly rather than as 2(1 - CDF) so small p-values keep their digits.
 */
function studentTTwoSided(t: number, df: number): number {
  if (df === Number.POSITIVE_INFINITY) return 2 * normalUpperTail(Math.abs(t));
  if (!Number.isFinite(t)) return 0;
  const t2 = t * t;
  const denominator = df + t2;
  if (!Number.isFinite(denominator)) return 0;
  return regularizedIncompleteBeta(df / 2, 0.5, df / denominator, t2 / denominator);
}

/**
 * Student t CDF P(T ≤ t) with `df` > 0 degrees of freedom (non-integer df allowed, as Welch's
 * test produces them; df = Infinity is the normal distribution). Needed because report groups can
 * be small enough that the normal approximation overstates significance.
 */
export function studentTCdf(t: number, df: number): number {
  if (Number.isNaN(t)) throw new RangeError('studentTCdf needs a number, got NaN');
  requireDegreesOfFreedom(df);
  const tail = 0.5 * studentTTwoSided(t, df);
  return t >= 0 ? 1 - tail : tail;
}

/**
 * The t with upper tail probability `q` (0 < q ≤ ½), found by bisection on the tail function.
 * Bisection rather than Newton because it cannot diverge for tiny df or extreme q, and 60-odd
 * halvings are cheap next to a report query.
 */
function studentTUpperQuantile(q: number, df: number): number {
  const upperTail = (t: number) => 0.5 * studentTTwoSided(t, df);
  let low = 0;
  let high = 1;
  while (upperTail(high) > q) {
    low = high;
    high *= 2;
    if (!Number.isFinite(high)) return Number.MAX_VALUE;
  }
  for (let i = 0; i < 200; i++) {
    const mid = low + (high - low) / 2;
    if (mid === low || mid === high) break;
    if (upperTail(mid) > q) low = mid;
    else high = mid;
  }
  return low + (high - low) / 2;
}

/**
 * Inverse of `studentTCdf`: the t with P(T ≤ t) = p, for 0 < p < 1 and df > 0. Gives the critical
 * values for confidence intervals on mean differences (e.g. p = 0.975 for a two-sided 95% interval).
 * p = 0 or 1 would be ∓Infinity, so they throw instead.
 */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile needs 0 < p < 1, got ${p}`);
  requireDegreesOfFreedom(df);
  if (p === 0.5) return 0;
  // For p > ½, 1 - p is exact in floating point (Sterbenz), so no digits are lost here.
  return p > 0.5 ? studentTUpperQuantile(1 - p, df) : -studentTUpperQuantile(p, df);
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
    // Two-sided: P(|Z| ≥ |z|) = erfc(|z|/√2), computed from the tail so tiny p keeps its digits.
    pValue = Math.min(1, 2 * normalUpperTail(Math.abs(z)));
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
