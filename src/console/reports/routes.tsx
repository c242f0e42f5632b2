/** The routes of Reports: the list of agents, and one agent's report. Everyone reads. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { NotFoundError } from '../../kernel/errors.js';
import { type DecisionStatsReport, untestedSampleRatio } from '../../reports/decision-stats.js';
import type { Services } from '../../web/services.js';
import { accountContext } from '../kit/context.js';
import { sendHtml } from '../kit/html.js';
import { AccountParams } from '../kit/params.js';
import { dayMs, ReportQuery } from './forms.js';
import { ReportPage, ReportsIndex } from './pages.js';

export type ReportPageServices = Pick<
  Services,
  'accounts' | 'agents' | 'reports' | 'deployTargets' | 'traits'
>;

export function registerReportPages(root: FastifyInstance, services: ReportPageServices): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const read = { config: { permission: 'read' } } as const;
  const hide = true;

  app.get('/:acc/reports', { ...read, schema: { params: AccountParams, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return sendHtml(reply, <ReportsIndex ctx={ctx} agents={await services.agents.list(ctx.account.id)} />);
  });

  app.get(
    '/:acc/reports/:a',
    {
      ...read,
      schema: {
        params: AccountParams.extend({ a: z.string().min(1).max(100) }),
        querystring: ReportQuery,
        hide,
      },
    },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const code = request.params.a;
      const query = {
        dt: request.query.dt || undefined,
        from: request.query.from || undefined,
        to: request.query.to || undefined,
        by: request.query.by || undefined,
      };
      const agents = await services.agents.list(ctx.account.id);
      const agent = agents.find((a) => a.code === code);
      let report: DecisionStatsReport;
      try {
        report = await services.reports.report(ctx.account.id, code, {
          deployTargetId: query.dt,
          from: dayMs(query.from),
          to: dayMs(query.to),
          by: query.by,
        });
      } catch (error) {
        // An agent defined but not deployed or counted yet has an empty report, not a missing one.
        if (!(error instanceof NotFoundError && error.code === 'agent_not_found' && agent)) throw error;
        report = {
          agent: code,
          name: agent.name,
          deployTarget: query.dt ?? null,
          from: null,
          to: null,
          goals: [],
          variations: agent.variations.map((v) => ({
            code: v.code,
            name: v.name ?? null,
            sessions: 0,
            goals: [],
          })),
          daily: [],
          sampleRatio: untestedSampleRatio(query.dt ?? null),
          weightHistory: [],
        };
      }
      const targets = await services.deployTargets.list(ctx.account.id);
      // The groups the account defines by rules; a query-given group is on the API (?by=).
      const groups = (await services.traits.list(ctx.account.id)).map((t) => `cust/${t.group}`);
      return sendHtml(
        reply,
        <ReportPage
          ctx={ctx}
          agent={agent}
          code={code}
          report={report}
          targets={targets}
          groups={groups}
          query={query}
        />,
      );
    },
  );
}
