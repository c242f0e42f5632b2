/**
 * Weights for adaptive allocation (policy `a`): Thompson sampling on the primary goal's conversion
 * rate, with a floor per variation.
 *
 * Each variation's rate gets the posterior Beta(1 + conversions, 1 + sessions - conversions) (a
 * uniform prior); its weight is the posterior probability that it is the best, estimated from
 * `draws` joint draws, then mixed with a floor: weight = floor + (1 - k·floor) · P(best), so no
 * variation ever falls below `floor` (it keeps being measured, and a wrong early lead can be
 * undone). Randomized allocation with these weights is Thompson sampling in batches, as a
 * schedule recomputes them from the aggregates (Thompson 1933; Russo et al., "A Tutorial on
 * Thompson Sampling", Foundations and Trends in ML 11(1), 2018, §6.1 on batched updates).
 *
 * Pure: the caller passes the random source, so servers recomputing from the same aggregates with
 * the same seed publish the same weights.
 */

export interface Arm {
  code: string;
  sessions: number;
  conversions: number;
}

/** Share of traffic every variation keeps whatever its results (at most 1/k for k variations). */
export const ADAPTIVE_FLOOR = 0.05;

/** Standard normal variate by Box–Muller (one of the pair). */
function normal(random: () => number): number {
  let u = 0;
  while (u === 0) u = random();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * random());
}

/** Gamma(shape ≥ 1, 1) by Marsaglia & Tsang, ACM TOMS 26(3), 2000. */
function gamma(shape: number, random: () => number): number {
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = normal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function beta(a: number, b: number, random: () => number): number {
  const x = gamma(a, random);
  return x / (x + gamma(b, random));
}

/**
 * Thompson weights, summing to 1, in the order of `arms`. Conversions are clamped to sessions (as
 * the reports do); `floor` is lowered to 1/k when k variations could not all keep it.
 */
export function thompsonWeights(
  arms: readonly Arm[],
  random: () => number,
  options: { floor?: number; draws?: number } = {},
): number[] {
  const k = arms.length;
  if (k === 0) return [];
  if (k === 1) return [1];
  const floor = Math.min(options.floor ?? ADAPTIVE_FLOOR, 1 / k);
  const draws = options.draws ?? 4000;
  const params = arms.map((a) => {
    if (!(a.sessions >= 0) || !(a.conversions >= 0))
      throw new RangeError(`counts of ${a.code} must not be negative`);
    const conversions = Math.min(a.conversions, a.sessions);
    return [1 + conversions, 1 + a.sessions - conversions] as const;
  });
  const wins = new Array<number>(k).fill(0);
  for (let i = 0; i < draws; i++) {
    let best = 0;
    let bestValue = -1;
    for (let j = 0; j < k; j++) {
      const value = beta(params[j][0], params[j][1], random);
      if (value > bestValue) {
        bestValue = value;
        best = j;
      }
    }
    wins[best]++;
  }
  return wins.map((w) => floor + (1 - k * floor) * (w / draws));
}
