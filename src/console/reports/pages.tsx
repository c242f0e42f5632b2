/**
 * Reports: per agent, the table of spec 3.3 (per variation: sessions; per goal: conversions,
 * rate with its 95% interval, total and mean value, lift over the first variation with its
 * interval, and the confidence that the difference is real) and charts of the daily series drawn
 * by uPlot (served by the console). Filters are a plain GET form: deploy target, days, and a
 * custom trait group to break the results down by.
 *
 * Over 400 lines on purpose: one report page, whose tables and charts read the same report
 * object; split by section, each part would re-derive the variation and goal order.
 */
import type { Agent } from '../../agents/agents.js';
import type { DecisionStatsReport, GoalStats } from '../../reports/decision-stats.js';
import type { DeployTarget } from '../../targets/deploy-targets.js';
import { StatusMarker } from '../agents/status.js';
import type { AccountContext } from '../kit/context.js';
import { CONSOLE } from '../kit/html.js';
import { AccountPage } from '../kit/layout.js';
import { type ChartData, chartsOf, cumulativeChartsOf, embeddedJson } from './charts.js';

const percent = (x: number | null, digits = 1) => (x === null ? '—' : `${(x * 100).toFixed(digits)}%`);

const signedPercent = (x: number | null) =>
  x === null ? '—' : `${x >= 0 ? '+' : ''}${(x * 100).toFixed(1)}%`;

/** A difference of rates in percentage points. */
const points = (x: number | null) =>
  x === null ? '—' : `${x >= 0 ? '+' : '−'}${Math.abs(x * 100).toFixed(2)} pts`;

const number = (x: number) => (Number.isInteger(x) ? String(x) : x.toFixed(2));

function Confidence(props: { value: number | null }): JSX.Element {
  if (props.value === null) return <span>—</span>;
  const cls = props.value >= 0.95 ? 'good' : undefined;
  return (
    <span class={cls} safe>
      {percent(props.value)}
    </span>
  );
}

/** A confidence with its Holm-corrected twin beside it (the agent's comparisons as one family). */
function Confidences(props: { raw: number | null; holm: number | null }): JSX.Element {
  return (
    <>
      <Confidence value={props.raw} />
      <br />
      <small class="muted">
        Holm <Confidence value={props.holm} />
      </small>
    </>
  );
}

function GoalTable(props: { report: DecisionStatsReport; goalIndex: number }): JSX.Element {
  const { report, goalIndex } = props;
  const goal = report.goals[goalIndex];
  return (
    <div class="table-scroll">
      <table class="table keep-table report-table">
        <caption safe>{`${goal.name ?? goal.code} (${goal.code})`}</caption>
        <thead>
          <tr>
            <th scope="col">Variation</th>
            <th scope="col" class="num">
              Sessions
            </th>
            <th scope="col" class="num">
              Conversions
            </th>
            <th scope="col" class="num">
              Rate (95% interval)
            </th>
            <th scope="col" class="num">
              Value total
            </th>
            <th scope="col" class="num">
              Value per session
            </th>
            <th scope="col" class="num">
              Difference vs first <span class="muted">always valid, 95%</span>
            </th>
            <th scope="col" class="num">
              Confidence <span class="muted">always valid</span>
            </th>
            <th scope="col" class="num">
              Lift vs first <span class="muted">fixed horizon, 95%</span>
            </th>
            <th scope="col" class="num">
              Confidence <span class="muted">fixed horizon</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {report.variations.map((v) => {
            const s: GoalStats | undefined = v.goals[goalIndex];
            const vs = s?.vsFirst ?? null;
            return (
              <tr>
                <th scope="row">
                  <span safe>{v.code}</span>{' '}
                  {v.name ? (
                    <span class="muted" safe>
                      {v.name}
                    </span>
                  ) : (
                    ''
                  )}
                </th>
                <td class="num" safe>
                  {String(v.sessions)}
                </td>
                <td class="num" safe>
                  {String(s?.conversions ?? 0)}
                </td>
                <td class="num">
                  {s ? `${percent(s.rate)} (${percent(s.rateLow)} – ${percent(s.rateHigh)})` : '—'}
                </td>
                <td class="num">{s ? number(s.valueTotal) : '—'}</td>
                <td class="num">{s ? number(s.valueMean) : '—'}</td>
                <td class="num" safe>
                  {vs === null
                    ? 'baseline'
                    : `${points(vs.rateDiff)} (${points(vs.seqRateDiffLow)} – ${points(vs.seqRateDiffHigh)})`}
                </td>
                <td class="num">
                  {vs === null ? '—' : <Confidences raw={vs.seqConfidence} holm={vs.seqConfidenceHolm} />}
                </td>
                <td class="num muted" safe>
                  {vs === null
                    ? 'baseline'
                    : `${signedPercent(vs.lift)} (${signedPercent(vs.liftLow)} – ${signedPercent(vs.liftHigh)})`}
                </td>
                <td class="num muted">
                  {vs === null ? '—' : <Confidences raw={vs.confidence} holm={vs.confidenceHolm} />}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

/** The page's filters as the CSV route's query string (same parameters). */
function csvQuery(query: { dt?: string; from?: string; to?: string }): string {
  const params = new URLSearchParams();
  if (query.dt) params.set('dt', query.dt);
  if (query.from) params.set('from', query.from);
  if (query.to) params.set('to', query.to);
  const text = params.toString();
  return text ? `?${text}` : '';
}

/** A warning when sessions are not split as the weights say: every other figure is then suspect. */
function SampleRatioBanner(props: { report: DecisionStatsReport }): JSX.Element {
  const { sampleRatio } = props.report;
  const flagged = [sampleRatio.overall, ...sampleRatio.byTarget].filter((c) => c.verdict === 'mismatch');
  if (flagged.length === 0) return '';
  const where = flagged
    .map((c) => (c.deployTarget === null ? 'all deploy targets' : c.deployTarget))
    .filter((w, i, all) => all.indexOf(w) === i)
    .join(', ');
  const worst = flagged.reduce((a, b) => ((a.pValue ?? 1) <= (b.pValue ?? 1) ? a : b));
  const split = worst.variations
    .map((v) => `${v.code}: ${v.sessions} sessions, ${Math.round(v.expected)} expected`)
    .join('; ');
  return (
    <p class="warning" role="alert">
      <strong>Sample ratio mismatch</strong>{' '}
      <span safe>
        {`(${where}; p = ${(worst.pValue ?? 0).toExponential(1)}). Sessions are not split between the variations as their weights say (${split}). A split this uneven by chance happens less than once in a thousand reports, so something is losing or adding sessions in some variations (a redirect, a crash, a bot, a filter), and the results below may be wrong, however confident they look. Find the cause before trusting them.`}
      </span>
      {sampleRatio.includesFixed ? (
        <span class="muted">
          {' '}
          This agent has conditions: the counts include sessions they fixed, which also move the split.
        </span>
      ) : (
        ''
      )}
    </p>
  );
}

/** Adaptive allocation: each publication of learned weights, newest first. */
function WeightHistory(props: { report: DecisionStatsReport }): JSX.Element {
  const { report } = props;
  if (report.weightHistory.length === 0) return '';
  const codes = report.variations.map((v) => v.code);
  return (
    <section aria-labelledby="weights-title">
      <h2 id="weights-title">Adaptive weights</h2>
      <p class="hint">
        Share of new sessions each variation receives, learned from the first goal by Thompson sampling and
        published as a configuration version; every variation keeps at least its floor. Sessions already
        counted keep their variation.
      </p>
      <div class="table-scroll">
        <table class="table keep-table">
          <caption class="visually-hidden">Adaptive weights, newest first</caption>
          <thead>
            <tr>
              <th scope="col">Published (UTC)</th>
              <th scope="col" class="num">
                Version
              </th>
              {codes.map((code) => (
                <th scope="col" class="num" safe>
                  {code}
                </th>
              ))}
            </tr>
          </thead>
          <tbody>
            {[...report.weightHistory].reverse().map((w) => (
              <tr>
                <th scope="row" safe>
                  {w.at.slice(0, 16).replace('T', ' ')}
                </th>
                <td class="num" safe>
                  {String(w.version)}
                </td>
                {codes.map((code) => {
                  const weight = w.weights.find((x) => x.code === code)?.weight;
                  return (
                    <td class="num" safe>
                      {weight === undefined ? '—' : percent(weight)}
                    </td>
                  );
                })}
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </section>
  );
}

/** One uPlot chart: console.js draws any element with `data-chart` from the JSON beside it. */
function Chart(props: {
  chart: { id: string; title: string; data: ChartData };
  holderClass: string;
}): JSX.Element {
  const { chart } = props;
  const safeJson = embeddedJson(chart.data);
  return (
    <figure class="chart-figure">
      <figcaption safe>{chart.title}</figcaption>
      <div
        class={props.holderClass}
        data-chart={`${chart.id}-data`}
        role="img"
        aria-label={chart.title}
      ></div>
      <script type="application/json" id={`${chart.id}-data`}>
        {safeJson}
      </script>
    </figure>
  );
}

/** Sessions, conversions and rate per value of the trait group asked for, by variation. */
function TraitBreakdownSection(props: { report: DecisionStatsReport }): JSX.Element {
  const { report } = props;
  const breakdown = report.byTrait;
  if (!breakdown) return '';
  return (
    <section aria-labelledby="breakdown-title">
      <h2 id="breakdown-title" safe>{`By ${breakdown.group}`}</h2>
      {breakdown.values.length === 0 ? (
        <p class="hint" safe>
          {`No session counted in these days held a ${breakdown.group} trait.`}
        </p>
      ) : (
        <div class="table-scroll">
          <table class="table keep-table report-table breakdown-table">
            <caption class="visually-hidden" safe>{`Results by ${breakdown.group}`}</caption>
            <thead>
              <tr>
                <th scope="col">Value</th>
                <th scope="col">Variation</th>
                <th scope="col" class="num">
                  Sessions
                </th>
                {report.goals.map((g) => (
                  <th scope="col" class="num" safe>
                    {`${g.name ?? g.code}: conversions (rate)`}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {breakdown.values.map((v) =>
                v.variations.map((variation, i) => (
                  <tr>
                    {i === 0 ? (
                      <th scope="rowgroup" rowspan={String(v.variations.length)} safe>
                        {v.value}
                      </th>
                    ) : (
                      ''
                    )}
                    <th scope="row" safe>
                      {variation.code}
                    </th>
                    <td class="num" safe>
                      {String(variation.sessions)}
                    </td>
                    {variation.goals.map((g) => (
                      <td class="num" safe>
                        {`${g.conversions} (${percent(g.rate)})`}
                      </td>
                    ))}
                  </tr>
                )),
              )}
            </tbody>
          </table>
          <p class="hint">
            Sessions count under the values they held when first counted; sessions of the script tag carry no
            trait values and are in none.
          </p>
        </div>
      )}
    </section>
  );
}

export function ReportPage(props: {
  ctx: AccountContext;
  agent: Agent | undefined;
  code: string;
  report: DecisionStatsReport;
  targets: DeployTarget[];
  /** the account's custom trait groups (`cust/plan`), to break down by */
  groups: string[];
  query: { dt?: string; from?: string; to?: string; by?: string };
}): JSX.Element {
  const { ctx, report, query } = props;
  const base = `${CONSOLE}/${ctx.account.id}`;
  const charts = chartsOf(report);
  const total = report.variations.reduce((n, v) => n + v.sessions, 0);
  return (
    <AccountPage ctx={ctx} title={`Report ${props.code}`} charts>
      <p class="breadcrumb">
        <a href={`${base}/reports`}>Reports</a>
      </p>
      <div class="section-head">
        <h1>
          <span safe>{report.name ?? props.agent?.name ?? props.code}</span>{' '}
          <code class="muted" safe>
            {props.code}
          </code>{' '}
          {props.agent ? <StatusMarker status={props.agent.status} /> : ''}
        </h1>
        <div class="actions">
          <a
            class="button"
            href={`/admin/${ctx.account.id}/reports/decision-stats/${encodeURIComponent(props.code)}.csv${csvQuery(query)}`}
            download={`report-${props.code}.csv`}
          >
            Download CSV
          </a>
          {props.agent ? (
            <a class="button" href={`${base}/agents/${props.code}`}>
              Agent
            </a>
          ) : (
            ''
          )}
        </div>
      </div>
      <form method="get" action={`${base}/reports/${props.code}`} class="filters">
        <label>
          Deploy target
          <select name="dt">
            <option value="" selected={!query.dt}>
              All deploy targets
            </option>
            {props.targets.map((t) => (
              <option value={t.id} selected={query.dt === t.id} safe>
                {`${t.name} (${t.id})`}
              </option>
            ))}
          </select>
        </label>
        <label>
          From
          <input type="date" name="from" value={query.from} />
        </label>
        <label>
          To
          <input type="date" name="to" value={query.to} />
        </label>
        <label>
          Break down by
          <select name="by">
            <option value="" selected={!query.by}>
              Nothing
            </option>
            {props.groups.map((group) => (
              <option value={group} selected={query.by === group} safe>
                {group}
              </option>
            ))}
          </select>
        </label>
        <button type="submit" class="button">
          Show
        </button>
      </form>
      <p class="hint" safe>
        {report.from === null
          ? 'No sessions counted yet.'
          : `${total} sessions counted from ${report.from} to ${report.to} (UTC days; a session's conversions count on the day it was first counted). Confidence is 1 − p of the test against the first variation; 95% or more is shown in green. The always-valid figures (mixture sequential test) may be read every day and acted on as soon as they are green; the fixed-horizon ones are valid only when read once, at a number of sessions decided in advance: checked daily, they declare false winners far more often. "Holm" is the same confidence corrected for every comparison of this agent's goals and variations at once.`}
      </p>
      <SampleRatioBanner report={report} />
      <section aria-labelledby="summary-title">
        <h2 id="summary-title">Results by goal</h2>
        {report.goals.length === 0 ? (
          <div class="table-scroll">
            <table class="table keep-table">
              <caption class="visually-hidden">Sessions per variation</caption>
              <thead>
                <tr>
                  <th scope="col">Variation</th>
                  <th scope="col" class="num">
                    Sessions
                  </th>
                </tr>
              </thead>
              <tbody>
                {report.variations.map((v) => (
                  <tr>
                    <th scope="row" safe>
                      {v.code}
                    </th>
                    <td class="num" safe>
                      {String(v.sessions)}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
            <p class="hint">This agent tracks no goal yet.</p>
          </div>
        ) : (
          report.goals.map((_, g) => <GoalTable report={report} goalIndex={g} />)
        )}
      </section>
      <TraitBreakdownSection report={report} />
      <WeightHistory report={report} />
      <section aria-labelledby="over-time-title">
        <h2 id="over-time-title">Over time</h2>
        {report.daily.length === 0 ? (
          <p class="hint">Nothing to chart yet.</p>
        ) : (
          cumulativeChartsOf(report).map((chart) => <Chart chart={chart} holderClass="cumulative-chart" />)
        )}
      </section>
      <section aria-labelledby="daily-title">
        <h2 id="daily-title">Daily</h2>
        {report.daily.length === 0 ? (
          <p class="hint">Nothing to chart yet.</p>
        ) : (
          charts.map((chart) => <Chart chart={chart} holderClass="chart" />)
        )}
      </section>
    </AccountPage>
  );
}

export function ReportsIndex(props: { ctx: AccountContext; agents: Agent[] }): JSX.Element {
  const base = `${CONSOLE}/${props.ctx.account.id}`;
  return (
    <AccountPage ctx={props.ctx} title="Reports">
      <h1>Reports</h1>
      {props.agents.length === 0 ? (
        <p class="empty">No agents yet, so no reports.</p>
      ) : (
        <ul class="link-list">
          {props.agents.map((a) => (
            <li>
              <a href={`${base}/reports/${a.code}`}>
                <span safe>{a.name}</span>{' '}
                <code class="muted" safe>
                  {a.code}
                </code>
              </a>{' '}
              <StatusMarker status={a.status} />
            </li>
          ))}
        </ul>
      )}
    </AccountPage>
  );
}
