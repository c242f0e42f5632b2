/**
 * Reports (permission `read`: admin keys and every role). `from` and `to` are UTC days
 * (`YYYY-MM-DD`, or a date-time, whose UTC day is used), inclusive; `dt` limits the report to
 * the sessions counted on one deploy target. `dateFrom` / `dateThru` are the same bounds under
 * the names Conductrics documents; any of the four also takes `first` / `last`, the first / last
 * day with data. Giving a bound under both names is accepted only when both say the same.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { dayOf } from '../../events/event-store.js';
import { parseDay } from '../../kernel/days.js';
import { InvalidInputError } from '../../kernel/errors.js';
import type { DecisionStatsReport } from '../../reports/decision-stats.js';
import { reportCsv } from '../../reports/report-csv.js';
import { AccountParams, fieldsIn, type SameFields } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';

const Day = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}([T ].*)?$/, 'must be a day, YYYY-MM-DD')
  .transform((s, ctx) => {
    const date = s.slice(0, 10);
    const midnight = parseDay(date);
    const ms = s.length === 10 ? midnight : Date.parse(s);
    if (midnight === null || ms === null || Number.isNaN(ms)) {
      ctx.addIssue({ code: 'custom', message: `must be a day, YYYY-MM-DD (${date} is not one)` });
      return z.NEVER;
    }
    return dayOf(ms);
  });

const Bound = z.union([z.enum(['first', 'last']), Day], {
  error: 'must be a day, YYYY-MM-DD, or first or last (the first or last day with data)',
});

const ReportQuery = z.object({
  dt: z.string().min(1).max(64).optional(),
  from: Bound.optional(),
  to: Bound.optional(),
  dateFrom: Bound.optional().describe('the same as from (Conductrics name)'),
  dateThru: Bound.optional().describe('the same as to (Conductrics name)'),
  by: z
    .string()
    .max(100)
    .regex(/^cust\/[^:]+$/, 'must be a custom trait group, like cust/plan')
    .optional()
    .describe('a custom trait group: adds byTrait, sessions and conversions per value of it'),
});

type BoundValue = z.output<typeof Bound>;

/** One bound given under either name; both names must then agree. */
function oneBound(
  plain: BoundValue | undefined,
  documented: BoundValue | undefined,
  names: [string, string],
): BoundValue | undefined {
  if (plain !== undefined && documented !== undefined && plain !== documented) {
    throw new InvalidInputError(
      `querystring.${names[1]}`,
      `must be the same as ${names[0]} when both are given (they name the same bound)`,
    );
  }
  return plain ?? documented;
}

/** The report a query asks for: each bound under either name, refusals naming what was sent. */
function reportAsked(
  services: Pick<Services, 'reports'>,
  accountId: string,
  agent: string,
  query: z.output<typeof ReportQuery>,
): Promise<DecisionStatsReport> {
  const { dt, dateFrom, dateThru, by } = query;
  const from = oneBound(query.from, dateFrom, ['from', 'dateFrom']);
  const to = oneBound(query.to, dateThru, ['to', 'dateThru']);
  // The report's range refusals name its from/to: here they are query parameters, named as sent.
  const sentAs: Record<string, string> = {
    from: query.from === undefined && dateFrom !== undefined ? 'dateFrom' : 'from',
    to: query.to === undefined && dateThru !== undefined ? 'dateThru' : 'to',
  };
  return fieldsIn(
    'querystring',
    services.reports
      .report(accountId, agent, { deployTargetId: dt, from, to, by })
      .catch((error: unknown) => {
        if (error instanceof InvalidInputError && error.field in sentAs) {
          throw new InvalidInputError(sentAs[error.field], error.message);
        }
        throw error;
      }),
  );
}

const nullableNumber = z.number().nullable();

const GoalStats = z.object({
  goal: z.string(),
  conversions: z.number().describe('sessions that reached the goal'),
  rate: z.number().describe('conversions / sessions'),
  rateLow: z.number().describe('Wilson 95% interval, low end'),
  rateHigh: z.number().describe('Wilson 95% interval, high end'),
  valueTotal: z.number(),
  valueMean: z.number().describe('value per session (sessions that did not convert count 0)'),
  vsFirst: z
    .object({
      lift: nullableNumber.describe('(rate - first variation rate) / first variation rate'),
      liftLow: nullableNumber.describe('95% interval of the lift (log-ratio method)'),
      liftHigh: nullableNumber,
      confidence: nullableNumber.describe(
        '1 - p of the two-proportion z test (fixed horizon: valid read once, at a size fixed in advance)',
      ),
      rateDiff: nullableNumber.describe('rate - first variation rate'),
      seqConfidence: nullableNumber.describe(
        '1 - the always-valid p-value (mixture SPRT): valid however often the report is read',
      ),
      seqRateDiffLow: nullableNumber.describe('always-valid 95% confidence sequence of rateDiff, low end'),
      seqRateDiffHigh: nullableNumber,
      confidenceHolm: nullableNumber.describe(
        "confidence corrected (Holm) for all of the agent's comparisons: every goal of every variation",
      ),
      seqConfidenceHolm: nullableNumber.describe('seqConfidence corrected (Holm) likewise'),
      valueDiff: nullableNumber.describe('value per session minus the first variation'),
      valueDiffLow: nullableNumber.describe("95% interval of valueDiff (Welch's t)"),
      valueDiffHigh: nullableNumber,
      valueConfidence: nullableNumber.describe("1 - p of Welch's t test on value per session"),
    })
    .nullable()
    .describe('comparison with the first variation; null for the first variation itself'),
});

const SampleRatioCheck = z.object({
  deployTarget: z.string().nullable().describe('the target checked; null for every target together'),
  verdict: z
    .enum(['ok', 'mismatch', 'untested'])
    .describe('mismatch when p < 0.001: sessions are not split as the weights say, so results are suspect'),
  chiSquare: nullableNumber.describe("Pearson's chi-square of sessions against the weights"),
  df: nullableNumber,
  pValue: nullableNumber,
  variations: z.array(
    z.object({ code: z.string(), weight: z.number(), sessions: z.number(), expected: z.number() }),
  ),
});

const SampleRatio = z
  .object({
    overall: SampleRatioCheck,
    byTarget: z.array(SampleRatioCheck),
    includesFixed: z.boolean().describe('the agent has conditions, whose fixed selections are in the counts'),
    adaptive: z.boolean().describe('adaptive allocation: weights change over time, the check is not made'),
  })
  .describe('sample-ratio-mismatch check of the variations of positive weight');

const DecisionStatsAnswer = z.object({
  status: z.literal(200),
  data: z.object({
    agent: z.string(),
    name: z.string().nullable(),
    deployTarget: z.string().nullable(),
    from: z.string().nullable().describe('first day shown, YYYY-MM-DD (UTC)'),
    to: z.string().nullable().describe('last day shown, YYYY-MM-DD (UTC)'),
    goals: z.array(z.object({ code: z.string(), name: z.string().nullable() })),
    variations: z.array(
      z.object({
        code: z.string(),
        name: z.string().nullable(),
        sessions: z.number().describe('sessions counted (first confirmed selection) in the days shown'),
        goals: z.array(GoalStats),
      }),
    ),
    daily: z
      .array(
        z.object({
          day: z.string(),
          variations: z.array(
            z.object({
              code: z.string(),
              sessions: z.number(),
              goals: z.array(
                z.object({
                  goal: z.string(),
                  conversions: z.number(),
                  rate: z.number(),
                  valueTotal: z.number(),
                }),
              ),
            }),
          ),
        }),
      )
      .describe('every day shown, sessions counted that day and the conversions of those sessions'),
    sampleRatio: SampleRatio,
    weightHistory: z
      .array(
        z.object({
          version: z.number().describe('the configuration version that published them'),
          at: z.string(),
          weights: z.array(z.object({ code: z.string(), weight: z.number() })),
        }),
      )
      .describe('adaptive allocation: each publication of learned weights, oldest first'),
    byTrait: z
      .object({
        group: z.string().describe('the group asked for, like cust/plan'),
        values: z.array(
          z.object({
            value: z.string(),
            variations: z.array(
              z.object({
                code: z.string(),
                sessions: z.number().describe('sessions counted holding this value'),
                goals: z.array(z.object({ code: z.string(), conversions: z.number(), rate: z.number() })),
              }),
            ),
          }),
        ),
      })
      .optional()
      .describe(
        'only with by: per value of the group, the sessions counted with it and their conversions (sessions whose traits were not known, such as those of the script tag, are in no value)',
      ),
  }),
});

true satisfies SameFields<z.input<typeof DecisionStatsAnswer>['data'], DecisionStatsReport>;

export function registerReportRoutes(root: FastifyInstance, services: Pick<Services, 'reports'>): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/admin/:acc/reports/decision-stats/:a',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['reports'],
        description:
          'Per variation: sessions; per goal: conversions, rate with its Wilson 95% interval, value total and mean, and the comparison with the first variation; plus a daily series. A session and its conversions belong to the UTC day and deploy target it was first counted on.',
        params: AccountParams.extend({ a: z.string().min(1).max(256) }),
        querystring: ReportQuery,
        response: { 200: DecisionStatsAnswer },
      },
    },
    async (request) => {
      const report = await reportAsked(services, request.params.acc, request.params.a, request.query);
      return { status: 200 as const, data: report };
    },
  );
  // The same report as a CSV file, for spreadsheets and archives (same permission and parameters).
  app.get(
    '/admin/:acc/reports/decision-stats/:a.csv',
    {
      config: { permission: 'read' },
      schema: {
        tags: ['reports'],
        description:
          'The decision-stats report as CSV: one row per variation and goal with every figure of the report, and the sample-ratio check.',
        params: AccountParams.extend({ a: z.string().min(1).max(256) }),
        querystring: ReportQuery,
        response: {
          200: {
            description: 'text/csv, a header line then one line per variation and goal',
            content: { 'text/csv': { schema: z.string() } },
          },
        },
      },
    },
    async (request, reply) => {
      const { acc, a } = request.params;
      // One row per variation and goal has no room for a breakdown; saying so beats ignoring it.
      if (request.query.by !== undefined)
        throw new InvalidInputError(
          'querystring.by',
          'the CSV export has no breakdown by trait: the JSON report answers byTrait',
        );
      const report = await reportAsked(services, acc, a, request.query);
      return reply
        .type('text/csv; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="report-${a.replace(/[^\w-]/g, '_')}.csv"`)
        .send(reportCsv(report));
    },
  );
}
