/** A report's daily series as the data uPlot draws (console.js reads it from the page). */
import type { DecisionStatsReport } from '../../reports/decision-stats.js';
import { wilsonInterval } from '../../reports/statistics.js';

/** JSON to embed in a page inside <script type="application/json">: nothing in it can end the tag. */
export function embeddedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export interface ChartData {
  yLabel: string;
  /** seconds since the epoch (uPlot's time scale) */
  x: number[];
  series: { label: string; values: (number | null)[] }[];
  /**
   * Shaded intervals: the series at index `low` and `high` (in `series`) bound the interval of the
   * series at `of`; they are drawn as faint lines with the band between them.
   */
  bands?: { of: number; low: number; high: number }[];
}

const toPercent = (x: number) => Math.round(x * 10000) / 100;

/**
 * A goal's cumulative conversion rate per variation with its Wilson 95% interval, after each day:
 * where the estimate is heading and how sure it is, which the daily rates do not show.
 */
function cumulativeChart(
  report: DecisionStatsReport,
  g: number,
  x: number[],
): { id: string; title: string; data: ChartData } {
  const goal = report.goals[g];
  const series: ChartData['series'] = [];
  const bands: NonNullable<ChartData['bands']> = [];
  report.variations.forEach((variation, i) => {
    const rate: (number | null)[] = [];
    const low: (number | null)[] = [];
    const high: (number | null)[] = [];
    let sessions = 0;
    let conversions = 0;
    for (const row of report.daily) {
      const day = row.variations[i];
      sessions += day?.sessions ?? 0;
      conversions += day?.goals[g]?.conversions ?? 0;
      if (sessions === 0) {
        rate.push(null);
        low.push(null);
        high.push(null);
        continue;
      }
      const interval = wilsonInterval(Math.min(conversions, sessions), sessions);
      rate.push(toPercent(interval.rate));
      low.push(toPercent(interval.low));
      high.push(toPercent(interval.high));
    }
    const of = series.length;
    series.push({ label: variation.code, values: rate });
    series.push({ label: `${variation.code} 95% low`, values: low });
    series.push({ label: `${variation.code} 95% high`, values: high });
    bands.push({ of, low: of + 1, high: of + 2 });
  });
  return {
    id: `chart-cumulative-${g}`,
    title: `${goal.name ?? goal.code}: cumulative conversion rate with its 95% interval (%)`,
    data: { yLabel: '%', x, series, bands },
  };
}

/** The daily series as charts: sessions per variation, then each goal's conversion rate per variation. */
export function chartsOf(report: DecisionStatsReport): { id: string; title: string; data: ChartData }[] {
  return dailyCharts(report);
}

/** Per goal, the cumulative rate of each variation with its interval (the page's "Over time"). */
export function cumulativeChartsOf(
  report: DecisionStatsReport,
): { id: string; title: string; data: ChartData }[] {
  const x = report.daily.map((row) => Date.parse(`${row.day}T00:00:00Z`) / 1000);
  return report.goals.map((_, g) => cumulativeChart(report, g, x));
}

function dailyCharts(report: DecisionStatsReport): { id: string; title: string; data: ChartData }[] {
  const x = report.daily.map((row) => Date.parse(`${row.day}T00:00:00Z`) / 1000);
  const codes = report.variations.map((v) => v.code);
  const charts: { id: string; title: string; data: ChartData }[] = [
    {
      id: 'chart-sessions',
      title: 'Sessions per day',
      data: {
        yLabel: 'sessions',
        x,
        series: codes.map((code, i) => ({
          label: code,
          values: report.daily.map((row) => row.variations[i]?.sessions ?? 0),
        })),
      },
    },
  ];
  report.goals.forEach((goal, g) => {
    charts.push({
      id: `chart-goal-${g}`,
      title: `${goal.name ?? goal.code}: conversion rate per day (%)`,
      data: {
        yLabel: '%',
        x,
        series: codes.map((code, i) => ({
          label: code,
          values: report.daily.map((row) => {
            const day = row.variations[i];
            return day && day.sessions > 0 ? Math.round((day.goals[g]?.rate ?? 0) * 10000) / 100 : null;
          }),
        })),
      },
    });
  });
  return charts;
}
