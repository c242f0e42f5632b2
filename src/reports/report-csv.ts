/**
 * A decision-stats report as CSV: one row per variation and goal (one per variation when the agent
 * tracks no goal), every figure of the report's table, and the sample-ratio check on each row so
 * the file stands alone. Numbers are written in full precision; missing figures are empty cells.
 */
import type { DecisionStatsReport, GoalStats } from './decision-stats.js';

export const REPORT_CSV_COLUMNS = [
  'agent',
  'deploy_target',
  'from',
  'to',
  'variation',
  'variation_name',
  'sessions',
  'goal',
  'goal_name',
  'conversions',
  'rate',
  'rate_low',
  'rate_high',
  'value_total',
  'value_mean',
  'lift',
  'lift_low',
  'lift_high',
  'confidence',
  'confidence_holm',
  'rate_diff',
  'seq_rate_diff_low',
  'seq_rate_diff_high',
  'seq_confidence',
  'seq_confidence_holm',
  'value_diff',
  'value_diff_low',
  'value_diff_high',
  'value_confidence',
  'srm_p_value',
  'srm_verdict',
] as const;

type Cell = string | number | null | undefined;

/**
 * One cell: quoted when it holds a separator, quote or line break (RFC 4180); text that a
 * spreadsheet would run as a formula (= + - @, tab, carriage return first) is prefixed with ' so
 * an agent's name cannot execute in whoever opens the file (OWASP, "CSV Injection").
 */
export function csvCell(value: Cell): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'number') return Number.isFinite(value) ? String(value) : '';
  let text = value;
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function reportCsv(report: DecisionStatsReport): string {
  const lines = [REPORT_CSV_COLUMNS.join(',')];
  const srm = report.sampleRatio.overall;
  for (const variation of report.variations) {
    const goals: (GoalStats | null)[] = variation.goals.length > 0 ? variation.goals : [null];
    for (const g of goals) {
      const vs = g?.vsFirst ?? null;
      const row: Cell[] = [
        report.agent,
        report.deployTarget,
        report.from,
        report.to,
        variation.code,
        variation.name,
        variation.sessions,
        g?.goal,
        g ? report.goals.find((d) => d.code === g.goal)?.name : null,
        g?.conversions,
        g?.rate,
        g?.rateLow,
        g?.rateHigh,
        g?.valueTotal,
        g?.valueMean,
        vs?.lift,
        vs?.liftLow,
        vs?.liftHigh,
        vs?.confidence,
        vs?.confidenceHolm,
        vs?.rateDiff,
        vs?.seqRateDiffLow,
        vs?.seqRateDiffHigh,
        vs?.seqConfidence,
        vs?.seqConfidenceHolm,
        vs?.valueDiff,
        vs?.valueDiffLow,
        vs?.valueDiffHigh,
        vs?.valueConfidence,
        srm.pValue,
        srm.verdict,
      ];
      lines.push(row.map(csvCell).join(','));
    }
  }
  return `${lines.join('\r\n')}\r\n`;
}
