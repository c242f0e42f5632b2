/**
 * The decision-stats report of one agent: per variation the sessions counted, and per goal the
 * conversions, rate with its Wilson 95% interval, value total and mean, and the comparison with
 * the first variation (lift with its interval and confidence from the two-proportion test; the
 * difference in value per session with Welch's t); plus a daily series.
 *
 * It reads only the daily aggregates the event writer keeps (a few rows per variation, goal and
 * day), so it costs the same at a thousand sessions or a hundred million.
 *
 * Days are UTC. A session belongs to the day (and deploy target) it was first counted on, and its
 * conversions belong to that same cohort whenever they happen; so a range of days means "the
 * sessions counted in those days and everything they went on to do", and conversions never
 * exceed sessions. Value statistics are per session (sessions that did not convert count 0).
 */
import type { Kysely } from 'kysely';
import type { SnapshotAgent, SnapshotGoal } from '../agents/snapshot.js';
import { agentEverCounted, selectDailyStats } from '../events/daily-stats.js';
import { DAY_MS, isoDay } from '../kernel/days.js';
import { InvalidInputError, NotFoundError } from '../kernel/errors.js';
import type { Database } from '../store/schema.js';
import type { DeployTargetService } from '../targets/deploy-targets.js';
import type { DeployedSnapshots } from '../targets/deployed-snapshots.js';
import { meanAndVariance, twoProportionTest, welchTTest, wilsonInterval } from './statistics.js';

export interface DecisionStatsQuery {
  /** one deploy target; absent = every target of the account */
  deployTargetId?: string;
  /**
   * first and last day (UTC midnight, epoch ms), inclusive; absent = unbounded; `first` / `last`:
   * the first / last day with data for this agent (on the target asked for)
   */
  from?: number | DataDay;
  to?: number | DataDay;
}

/** The Conductrics report bounds `first` and `last`: a day of the agent's own data. */
export type DataDay = 'first' | 'last';

export interface GoalComparison {
  /** (rate - first variation's rate) / first variation's rate */
  lift: number | null;
  liftLow: number | null;
  liftHigh: number | null;
  /** 1 - p of the pooled two-proportion z test */
  confidence: number | null;
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
      for (const row of sessionRows) {
        const sessions = Number(row.sessions);
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
      const variations: VariationStats[] = variationCodes.map((code) => {
        const counts = totals.get(code) as Counts;
        return {
          code,
          name: names.get(code) ?? null,
          sessions: counts.sessions,
          goals: goalCodes.map((goal) =>
            goalStats(goal, counts, code === baselineCode ? undefined : baseline),
          ),
        };
      });

      const dataDays = [...days.keys()].sort((a, b) => a - b);
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

      return {
        agent: agentCode,
        name: agent?.name ?? null,
        deployTarget: query.deployTargetId ?? null,
        from: first === undefined ? null : isoDay(first),
        to: last === undefined ? null : isoDay(last),
        goals: goalCodes.map((code) => ({ code, name: goalDefs[code]?.name ?? null })),
        variations,
        daily,
      };
    },
  };
}

function goalStats(goal: string, counts: Counts, baseline: Counts | undefined): GoalStats {
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
    vsFirst = {
      lift: proportions.lift,
      liftLow: proportions.liftLow,
      liftHigh: proportions.liftHigh,
      confidence: proportions.confidence,
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
