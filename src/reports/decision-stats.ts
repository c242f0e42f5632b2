/**
 * The decision-stats report of one agent: per variation the sessions counted, and per goal the
 * conversions, rate with its Wilson 95% interval, value total and mean, and the comparison with
 * the first variation (lift with its interval and confidence from the two-proportion test; the
 * difference in value per session with Welch's t; the always-valid confidence and confidence
 * sequence of the rate difference, which stay valid however often the report is read); plus a
 * daily series and the sample-ratio check. Methods: docs/statistics.md.
 *
 * It reads only the daily aggregates the event writer keeps (a few rows per variation, goal and
 * day), so it costs the same at a thousand sessions or a hundred million.
 *
 * Days are UTC. A session belongs to the day (and deploy target) it was first counted on, and its
 * conversions belong to that same cohort whenever they happen; so a range of days means "the
 * sessions counted in those days and everything they went on to do", and conversions never
 * exceed sessions. Value statistics are per session (sessions that did not convert count 0).
 *
 * Over 400 lines on purpose: one report assembled from one read of the aggregates; its parts
 * (totals, daily series, comparisons, sample ratio, sequential and corrected figures, breakdown)
 * share the variation and goal order it establishes.
 */
import type { Kysely } from 'kysely';
import type { AgentService } from '../agents/agents.js';
import type { SnapshotAgent, SnapshotGoal } from '../agents/snapshot.js';
import { agentEverCounted, selectDailyStats, selectTraitStats } from '../events/daily-stats.js';
import { DAY_MS, isoDay } from '../kernel/days.js';
import { InvalidInputError, NotFoundError } from '../kernel/errors.js';
import type { Database } from '../store/schema.js';
import type { DeployTargetService } from '../targets/deploy-targets.js';
import type { DeployedSnapshots } from '../targets/deployed-snapshots.js';
import {
  alwaysValidDifference,
  holmAdjust,
  type Look,
  meanAndVariance,
  sampleRatioTest,
  twoProportionTest,
  welchTTest,
  wilsonInterval,
} from './statistics.js';

const SEP = '\u0000';

/** Below this p-value the sample-ratio check reports a mismatch (the threshold in common use). */
export const SAMPLE_RATIO_ALPHA = 0.001;

export interface DecisionStatsQuery {
  /** one deploy target; absent = every target of the account */
  deployTargetId?: string;
  /**
   * first and last day (UTC midnight, epoch ms), inclusive; absent = unbounded; `first` / `last`:
   * the first / last day with data for this agent (on the target asked for)
   */
  from?: number | DataDay;
  to?: number | DataDay;
  /** a custom trait group (`cust/plan`): add `byTrait`, the breakdown by its values */
  by?: string;
}

/** The Conductrics report bounds `first` and `last`: a day of the agent's own data. */
export type DataDay = 'first' | 'last';

export interface GoalComparison {
  /** (rate - first variation's rate) / first variation's rate */
  lift: number | null;
  liftLow: number | null;
  liftHigh: number | null;
  /** 1 - p of the pooled two-proportion z test: valid read once, at a horizon fixed in advance */
  confidence: number | null;
  /** rate - first variation's rate */
  rateDiff: number | null;
  /** 1 - the always-valid p-value (mSPRT): valid however often the report is read */
  seqConfidence: number | null;
  /** always-valid 95% confidence sequence of rateDiff */
  seqRateDiffLow: number | null;
  seqRateDiffHigh: number | null;
  /** `confidence` corrected (Holm) for every comparison of the agent's goals and variations */
  confidenceHolm: number | null;
  /** `seqConfidence` corrected (Holm) likewise */
  seqConfidenceHolm: number | null;
  /** value per session minus the first variation's */
  valueDiff: number | null;
  valueDiffLow: number | null;
  valueDiffHigh: number | null;
  /** 1 - p of Welch's t test on value per session */
  valueConfidence: number | null;
}

export interface GoalStats {
  goal: string;
  conversions: number;
  rate: number;
  rateLow: number;
  rateHigh: number;
  valueTotal: number;
  /** value per session */
  valueMean: number;
  /** null for the first variation (the baseline) */
  vsFirst: GoalComparison | null;
}

export interface VariationStats {
  code: string;
  name: string | null;
  sessions: number;
  goals: GoalStats[];
}

export interface DailyGoal {
  goal: string;
  conversions: number;
  rate: number;
  valueTotal: number;
}

export interface DailyVariation {
  code: string;
  sessions: number;
  goals: DailyGoal[];
}

export interface DailyRow {
  /** YYYY-MM-DD (UTC) */
  day: string;
  variations: DailyVariation[];
}

export interface SampleRatioVariation {
  code: string;
  weight: number;
  sessions: number;
  /** sessions the weights lead one to expect out of those counted in the tested variations */
  expected: number;
}

export interface SampleRatioCheck {
  /** the target checked; null for every target together */
  deployTarget: string | null;
  /** `mismatch` below p = 0.001; `untested` when there is nothing to compare */
  verdict: 'ok' | 'mismatch' | 'untested';
  chiSquare: number | null;
  df: number | null;
  pValue: number | null;
  /** the variations tested: those with a positive weight in the deployed definition */
  variations: SampleRatioVariation[];
}

export interface SampleRatioReport {
  /** the report's scope: its target, or every target */
  overall: SampleRatioCheck;
  /** each target with sessions, on its own (a mismatch on one can hide in the sum) */
  byTarget: SampleRatioCheck[];
  /**
   * true when the agent has targeting conditions: the aggregates count a session once whatever
   * the policy chose it, so fixed selections are in the counts and can move them off the weights.
   */
  includesFixed: boolean;
  /**
   * true for an adaptive agent: its weights change over time, so the check against the current
   * ones does not apply and is left untested
   */
  adaptive: boolean;
}

export interface DecisionStatsReport {
  agent: string;
  name: string | null;
  deployTarget: string | null;
  /** first and last day shown (YYYY-MM-DD), null when unbounded and there is no data */
  from: string | null;
  to: string | null;
  goals: { code: string; name: string | null }[];
  variations: VariationStats[];
  daily: DailyRow[];
  sampleRatio: SampleRatioReport;
  /** adaptive allocation: each publication of learned weights, oldest first (empty otherwise) */
  weightHistory: WeightPublication[];
  /** only when asked (`by`): sessions and conversions per value of one custom trait group */
  byTrait?: TraitBreakdown;
}

/**
 * A report broken down by a custom trait group: the sessions counted with each value (a session
 * holding two values of the group counts in both; one whose traits were not known, in none).
 */
export interface TraitBreakdown {
  /** as asked, `cust/plan` */
  group: string;
  values: {
    value: string;
    variations: {
      code: string;
      sessions: number;
      goals: { code: string; conversions: number; rate: number }[];
    }[];
  }[];
}

export interface WeightPublication {
  /** the configuration version that carried them */
  version: number;
  /** ISO time */
  at: string;
  weights: { code: string; weight: number }[];
}

export interface DecisionStatsService {
  report(accountId: string, agentCode: string, query?: DecisionStatsQuery): Promise<DecisionStatsReport>;
}

/** Longest daily series a report answers (about ten years). */
export const MAX_REPORT_DAYS = 3660;

/**
 * Most figures (days × variations × goals, totals counted as one more day) one report answers:
 * about 6 MB of JSON. Without it a read-only key could ask ten years of a 100-variation agent
 * tracking every goal of its account: hundreds of MB built on the thread that serves everyone.
 */
export const MAX_REPORT_FIGURES = 100_000;

interface Counts {
  sessions: number;
  goals: Map<string, { conversions: number; valueSum: number; valueSumSq: number }>;
}

function emptyCounts(): Counts {
  return { sessions: 0, goals: new Map() };
}

function goalCounts(counts: Counts, goal: string) {
  let g = counts.goals.get(goal);
  if (!g) {
    g = { conversions: 0, valueSum: 0, valueSumSq: 0 };
    counts.goals.set(goal, g);
  }
  return g;
}

/** A bound as a day: `first` / `last` become the first / last day with data (none: unbounded). */
function dataDay(
  bound: number | DataDay | undefined,
  rows: { sessions: { day: number }[]; goals: { day: number }[] },
): number | undefined {
  if (typeof bound !== 'string') return bound;
  const days = [...rows.sessions, ...rows.goals].map((row) => Number(row.day));
  if (days.length === 0) return undefined;
  return bound === 'first' ? Math.min(...days) : Math.max(...days);
}

export function createDecisionStats(deps: {
  db: Kysely<Database>;
  snapshots: DeployedSnapshots;
  deployTargets: DeployTargetService;
  agents: Pick<AgentService, 'adaptiveWeightHistory'>;
}): DecisionStatsService {
  const { db, snapshots, deployTargets } = deps;

  /** The agent and goals as deployed to the target (or the default one): names and variation order. */
  async function definition(accountId: string, deployTargetId: string | undefined) {
    const target = await deployTargets.resolve(accountId, deployTargetId);
    if (deployTargetId !== undefined && !target) {
      throw new NotFoundError(
        'deploy_target_not_found',
        `No deploy target ${deployTargetId} in this account`,
      );
    }
    const snapshot = target ? await snapshots.get(accountId, target.id) : null;
    return snapshot;
  }

  return {
    async report(accountId, agentCode, asked = {}) {
      const snapshot = await definition(accountId, asked.deployTargetId);
      const agent: SnapshotAgent | undefined = snapshot?.agents[agentCode];

      const rows = await selectDailyStats(db, {
        accountId,
        agent: agentCode,
        deployTargetId: asked.deployTargetId,
        // A bound named by the data is known once all of it is read.
        from: typeof asked.from === 'number' && typeof asked.to !== 'string' ? asked.from : undefined,
        to: typeof asked.to === 'number' && typeof asked.from !== 'string' ? asked.to : undefined,
      });
      const query = { ...asked, from: dataDay(asked.from, rows), to: dataDay(asked.to, rows) };
      if (query.from !== undefined && query.to !== undefined && query.to < query.from) {
        throw new InvalidInputError('to', `must not be before from (${isoDay(query.from)})`);
      }
      const within = (row: { day: number }) =>
        (query.from === undefined || Number(row.day) >= query.from) &&
        (query.to === undefined || Number(row.day) <= query.to);
      const sessionRows = rows.sessions.filter(within);
      const goalRows = rows.goals.filter(within);

      if (!agent && sessionRows.length === 0 && goalRows.length === 0) {
        // Not deployed where asked and never counted: most likely a mistyped code.
        const anywhere = await agentEverCounted(db, accountId, agentCode);
        if (!anywhere)
          throw new NotFoundError('agent_not_found', `No agent ${agentCode} has been deployed or counted`);
      }

      // Variation order: as defined (the first is the baseline), then any others seen in the data.
      const variationCodes: string[] = agent ? agent.variations.map((v) => v.code) : [];
      const names = new Map<string, string | null>(
        agent ? agent.variations.map((v) => [v.code, v.name ?? null]) : [],
      );
      const extraVariations = new Set<string>();
      for (const row of [...sessionRows, ...goalRows]) {
        if (!variationCodes.includes(row.variation)) extraVariations.add(row.variation);
      }
      variationCodes.push(...[...extraVariations].sort());

      const goalDefs: Record<string, SnapshotGoal> = snapshot?.goals ?? {};
      const goalCodes: string[] = agent
        ? Array.isArray(agent.goals)
          ? agent.goals.slice()
          : Object.keys(goalDefs)
        : [];
      const extraGoals = new Set<string>();
      for (const row of goalRows) if (!goalCodes.includes(row.goal)) extraGoals.add(row.goal);
      goalCodes.push(...[...extraGoals].sort());

      // Totals and the daily series.
      const totals = new Map<string, Counts>(variationCodes.map((code) => [code, emptyCounts()]));
      const days = new Map<number, Map<string, Counts>>();
      const dayCounts = (day: number, variation: string): Counts => {
        let byVariation = days.get(day);
        if (!byVariation) {
          byVariation = new Map();
          days.set(day, byVariation);
        }
        let counts = byVariation.get(variation);
        if (!counts) {
          counts = emptyCounts();
          byVariation.set(variation, counts);
        }
        return counts;
      };
      const byTarget = new Map<string, Map<string, number>>();
      for (const row of sessionRows) {
        const sessions = Number(row.sessions);
        let perTarget = byTarget.get(row.deploy_target_id);
        if (!perTarget) {
          perTarget = new Map();
          byTarget.set(row.deploy_target_id, perTarget);
        }
        perTarget.set(row.variation, (perTarget.get(row.variation) ?? 0) + sessions);
        (totals.get(row.variation) as Counts).sessions += sessions;
        dayCounts(row.day, row.variation).sessions += sessions;
      }
      for (const row of goalRows) {
        for (const counts of [totals.get(row.variation) as Counts, dayCounts(row.day, row.variation)]) {
          const g = goalCounts(counts, row.goal);
          g.conversions += Number(row.conversions);
          g.valueSum += Number(row.value_sum);
          g.valueSumSq += Number(row.value_sum_sq);
        }
      }

      const baselineCode = variationCodes[0];
      const baseline = baselineCode === undefined ? undefined : (totals.get(baselineCode) as Counts);
      const dataDays = [...days.keys()].sort((a, b) => a - b);
      /** The comparison as it stood after each day with data: the looks of the sequential test. */
      const looksOf = (code: string, goal: string): Look[] => {
        const looks: Look[] = [];
        const c: Look = { convA: 0, nA: 0, convB: 0, nB: 0 };
        for (const day of dataDays) {
          const byVariation = days.get(day);
          const a = baselineCode === undefined ? undefined : byVariation?.get(baselineCode);
          const b = byVariation?.get(code);
          c.nA += a?.sessions ?? 0;
          c.convA += a?.goals.get(goal)?.conversions ?? 0;
          c.nB += b?.sessions ?? 0;
          c.convB += b?.goals.get(goal)?.conversions ?? 0;
          looks.push({
            convA: Math.min(c.convA, c.nA),
            nA: c.nA,
            convB: Math.min(c.convB, c.nB),
            nB: c.nB,
          });
        }
        return looks;
      };
      const variations: VariationStats[] = variationCodes.map((code) => {
        const counts = totals.get(code) as Counts;
        return {
          code,
          name: names.get(code) ?? null,
          sessions: counts.sessions,
          goals: goalCodes.map((goal) =>
            code === baselineCode || !baseline
              ? goalStats(goal, counts, undefined, [])
              : goalStats(goal, counts, baseline, looksOf(code, goal)),
          ),
        };
      });
      correctForMultipleComparisons(variations);

      const first = query.from ?? dataDays[0];
      const last = query.to ?? dataDays[dataDays.length - 1];
      const dayCount =
        first !== undefined && last !== undefined ? Math.max(0, (last - first) / DAY_MS + 1) : 0;
      if (dayCount > MAX_REPORT_DAYS) {
        // The bound to move: `to` when it was given, else `from`.
        throw new InvalidInputError(
          query.to !== undefined ? 'to' : 'from',
          `a report covers at most ${MAX_REPORT_DAYS} days; give from and to`,
        );
      }
      const perDay = variationCodes.length * Math.max(1, goalCodes.length);
      if ((dayCount + 1) * perDay > MAX_REPORT_FIGURES) {
        const fit = Math.floor(MAX_REPORT_FIGURES / perDay) - 1;
        const shape = `${variationCodes.length} variations × ${goalCodes.length} goals`;
        throw new InvalidInputError(
          'from',
          fit >= 1
            ? `this report would hold ${((dayCount + 1) * perDay).toLocaleString('en-US')} figures (${dayCount} days × ${shape}), more than ${MAX_REPORT_FIGURES.toLocaleString('en-US')}: give from and to spanning at most ${fit} days`
            : `an agent of ${shape} has too many figures for one report (at most ${MAX_REPORT_FIGURES.toLocaleString('en-US')} a day): give the agent a shorter goals list`,
        );
      }
      const daily: DailyRow[] = [];
      if (first !== undefined && last !== undefined) {
        for (let day = first; day <= last; day += DAY_MS) {
          const byVariation = days.get(day);
          daily.push({
            day: isoDay(day),
            variations: variationCodes.map((code) => {
              const counts = byVariation?.get(code) ?? emptyCounts();
              return {
                code,
                sessions: counts.sessions,
                goals: goalCodes.map((goal) => {
                  const g = counts.goals.get(goal);
                  const conversions = g?.conversions ?? 0;
                  return {
                    goal,
                    conversions,
                    rate: counts.sessions > 0 ? Math.min(1, conversions / counts.sessions) : 0,
                    valueTotal: g?.valueSum ?? 0,
                  };
                }),
              };
            }),
          });
        }
      }

      let byTrait: TraitBreakdown | undefined;
      if (query.by !== undefined) {
        const group = query.by;
        if (!/^cust\/[^:]+$/.test(group)) {
          throw new InvalidInputError('by', 'must be a custom trait group, like cust/plan');
        }
        const stats = await selectTraitStats(db, {
          accountId,
          agent: agentCode,
          deployTargetId: query.deployTargetId,
          from: query.from,
          to: query.to,
          group: group.slice('cust/'.length),
        });
        const values = [...new Set(stats.sessions.map((r) => r.trait_value))].sort();
        if (values.length * perDay > MAX_REPORT_FIGURES) {
          throw new InvalidInputError(
            'by',
            `${group} has ${values.length} values, too many to break ${variationCodes.length} variations × ${goalCodes.length} goals down by`,
          );
        }
        const sessionsOf = new Map(
          stats.sessions.map((r) => [r.trait_value + SEP + r.variation, Number(r.sessions)]),
        );
        const conversionsOf = new Map(
          stats.goals.map((r) => [r.trait_value + SEP + r.variation + SEP + r.goal, Number(r.conversions)]),
        );
        byTrait = {
          group,
          values: values.map((value) => ({
            value,
            variations: variationCodes.map((code) => {
              const sessions = sessionsOf.get(value + SEP + code) ?? 0;
              return {
                code,
                sessions,
                goals: goalCodes.map((goal) => {
                  // Cohort attribution keeps conversions ≤ sessions; the clamp guards a hand-edited store.
                  const conversions = Math.min(
                    sessions,
                    conversionsOf.get(value + SEP + code + SEP + goal) ?? 0,
                  );
                  return { code: goal, conversions, rate: sessions > 0 ? conversions / sessions : 0 };
                }),
              };
            }),
          })),
        };
      }
      return {
        agent: agentCode,
        name: agent?.name ?? null,
        deployTarget: query.deployTargetId ?? null,
        from: first === undefined ? null : isoDay(first),
        to: last === undefined ? null : isoDay(last),
        goals: goalCodes.map((code) => ({ code, name: goalDefs[code]?.name ?? null })),
        variations,
        daily,
        weightHistory: (await deps.agents.adaptiveWeightHistory(accountId, agentCode)).map((w) => ({
          version: w.version,
          at: new Date(w.at).toISOString(),
          weights: Object.entries(w.weights).map(([code, weight]) => ({ code, weight })),
        })),
        sampleRatio: {
          overall: sampleRatioCheck(
            query.deployTargetId ?? null,
            agent,
            new Map(variationCodes.map((code) => [code, (totals.get(code) as Counts).sessions])),
          ),
          byTarget: [...byTarget.keys()]
            .sort()
            .map((target) => sampleRatioCheck(target, agent, byTarget.get(target) as Map<string, number>)),
          includesFixed: (agent?.conditions.length ?? 0) > 0,
          adaptive: agent?.allocation === 'adaptive',
        },
        ...(byTrait ? { byTrait } : {}),
      };
    },
  };
}

/**
 * The family is every comparison with the first variation, across the agent's goals and
 * variations: an agent with 3 challengers and 4 goals makes 12 chances of a false winner, so each
 * confidence is also given Holm-corrected.
 */
function correctForMultipleComparisons(variations: VariationStats[]): void {
  const comparisons = variations.flatMap((v) => v.goals.flatMap((g) => (g.vsFirst ? [g.vsFirst] : [])));
  const pOf = (confidence: number | null) =>
    confidence === null ? null : Math.min(1, Math.max(0, 1 - confidence));
  const fixed = holmAdjust(comparisons.map((c) => pOf(c.confidence)));
  const sequential = holmAdjust(comparisons.map((c) => pOf(c.seqConfidence)));
  comparisons.forEach((c, i) => {
    const f = fixed[i];
    const s = sequential[i];
    c.confidenceHolm = f === null || f === undefined ? null : 1 - f;
    c.seqConfidenceHolm = s === null || s === undefined ? null : 1 - s;
  });
}

/** The check of an agent with nothing counted. */
export function untestedSampleRatio(deployTarget: string | null): SampleRatioReport {
  return {
    overall: { deployTarget, verdict: 'untested', chiSquare: null, df: null, pValue: null, variations: [] },
    byTarget: [],
    includesFixed: false,
    adaptive: false,
  };
}

/**
 * Chi-square test of the sessions per variation against the deployed weights. Variations of weight
 * 0 are left out (only a condition can choose them), and so are sessions counted in variations no
 * longer defined. The weights are the ones deployed now: a report spanning a change of weights
 * compares with the latest.
 */
export function sampleRatioCheck(
  deployTarget: string | null,
  agent: SnapshotAgent | undefined,
  sessions: Map<string, number>,
): SampleRatioCheck {
  // Adaptive weights change over time: no single split to compare with.
  const tested =
    agent?.allocation === 'adaptive'
      ? []
      : (agent?.variations ?? []).filter((v) => Number.isFinite(v.weight) && v.weight > 0);
  const counts = tested.map((v) => sessions.get(v.code) ?? 0);
  const total = counts.reduce((a, b) => a + b, 0);
  const weightTotal = tested.reduce((a, v) => a + v.weight, 0);
  const variations = tested.map((v, i) => ({
    code: v.code,
    weight: v.weight,
    sessions: counts[i],
    expected: weightTotal > 0 ? (total * v.weight) / weightTotal : 0,
  }));
  const test = sampleRatioTest(
    counts,
    tested.map((v) => v.weight),
  );
  if (!test)
    return { deployTarget, verdict: 'untested', chiSquare: null, df: null, pValue: null, variations };
  return {
    deployTarget,
    verdict: test.pValue < SAMPLE_RATIO_ALPHA ? 'mismatch' : 'ok',
    chiSquare: test.chiSquare,
    df: test.df,
    pValue: test.pValue,
    variations,
  };
}

function goalStats(goal: string, counts: Counts, baseline: Counts | undefined, looks: Look[]): GoalStats {
  const g = counts.goals.get(goal) ?? { conversions: 0, valueSum: 0, valueSumSq: 0 };
  // Cohort attribution keeps conversions ≤ sessions; the clamp only guards a hand-edited store.
  const conversions = Math.min(g.conversions, counts.sessions);
  const wilson = wilsonInterval(conversions, counts.sessions);
  const values = meanAndVariance(counts.sessions, g.valueSum, g.valueSumSq);
  let vsFirst: GoalComparison | null = null;
  if (baseline) {
    const b = baseline.goals.get(goal) ?? { conversions: 0, valueSum: 0, valueSumSq: 0 };
    const baseConversions = Math.min(b.conversions, baseline.sessions);
    const proportions = twoProportionTest(baseConversions, baseline.sessions, conversions, counts.sessions);
    const baseValues = meanAndVariance(baseline.sessions, b.valueSum, b.valueSumSq);
    const welch = welchTTest(
      baseValues.mean,
      baseValues.variance,
      baseline.sessions,
      values.mean,
      values.variance,
      counts.sessions,
    );
    const sequential = alwaysValidDifference(looks);
    vsFirst = {
      lift: proportions.lift,
      liftLow: proportions.liftLow,
      liftHigh: proportions.liftHigh,
      confidence: proportions.confidence,
      rateDiff:
        baseline.sessions > 0 && counts.sessions > 0
          ? conversions / counts.sessions - baseConversions / baseline.sessions
          : null,
      seqConfidence: sequential.confidence,
      seqRateDiffLow: sequential.diffLow,
      seqRateDiffHigh: sequential.diffHigh,
      // Set once every comparison of the report is known (correctForMultipleComparisons).
      confidenceHolm: null,
      seqConfidenceHolm: null,
      valueDiff: welch.diff,
      valueDiffLow: welch.diffLow,
      valueDiffHigh: welch.diffHigh,
      valueConfidence: welch.confidence,
    };
  }
  return {
    goal,
    conversions,
    rate: wilson.rate,
    rateLow: wilson.low,
    rateHigh: wilson.high,
    valueTotal: g.valueSum,
    valueMean: values.mean,
    vsFirst,
  };
}
