/** A report's daily series as the data uPlot draws (console.js reads it from the page). */
import type { DecisionStatsReport } from '../../reports/decision-stats.js';

/** JSON to embed in a page inside <script type="application/json">: nothing in it can end the tag. */
export function embeddedJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/>/g, '\\u003e').replace(/&/g, '\\u0026');
}

export interface ChartData {
  yLabel: string;
  /** seconds since the epoch (uPlot's time scale) */
  x: number[];
  series: { label: string; values: (number | null)[] }[];
}

/** The daily series as charts: sessions per variation, then each goal's conversion rate per variation. */
export function chartsOf(report: DecisionStatsReport): { id: string; title: string; data: ChartData }[] {
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
