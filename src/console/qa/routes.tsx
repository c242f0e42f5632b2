/**
 * The routes of QA: QA sessions (change to create, delete or forget their visitor), their recent
 * requests and the playground (read).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { InvalidInputError } from '../../kernel/errors.js';
import { auditActor } from '../../web/actor.js';
import type { Services } from '../../web/services.js';
import { accountContext } from '../kit/context.js';
import { CONSOLE, isHtmx, sendHtml } from '../kit/html.js';
import { AccountParams } from '../kit/params.js';
import { PlaygroundForm, pairs, QaCodeParams, QaForm, qaInputFromForm } from './forms.js';
import { PlaygroundResult, QaPage } from './pages.js';

export type QaPageServices = Pick<Services, 'accounts' | 'qaSessions' | 'deployTargets' | 'runtime'>;

export function registerQaPages(root: FastifyInstance, services: QaPageServices): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const hide = true;
  const read = { config: { permission: 'read' } } as const;
  const change = { config: { permission: 'change' } } as const;
  const back = (request: FastifyRequest, reply: FastifyReply, accountId: string) => {
    const to = `${CONSOLE}/${accountId}/qa`;
    if (isHtmx(request)) {
      reply.header('hx-redirect', to);
      return reply.code(204).send();
    }
    return reply.redirect(to, 303);
  };

  app.get('/:acc/qa', { ...read, schema: { params: AccountParams, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    const [sessions, targets] = await Promise.all([
      services.qaSessions.list(ctx.account.id),
      services.deployTargets.list(ctx.account.id),
    ]);
    const requests = new Map(
      await Promise.all(
        sessions.map(
          async (q) => [q.code, await services.qaSessions.requests(ctx.account.id, q.code)] as const,
        ),
      ),
    );
    return sendHtml(reply, <QaPage ctx={ctx} sessions={sessions} targets={targets} requests={requests} />);
  });

  app.post(
    '/:acc/qa',
    { ...change, schema: { params: AccountParams, body: QaForm, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      await services.qaSessions.create(ctx.account.id, qaInputFromForm(request.body), auditActor(request));
      return back(request, reply, ctx.account.id);
    },
  );

  app.post(
    '/:acc/qa/:code/delete',
    { ...change, schema: { params: QaCodeParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      await services.qaSessions.remove(ctx.account.id, request.params.code, auditActor(request));
      return back(request, reply, ctx.account.id);
    },
  );

  app.post(
    '/:acc/qa/:code/forget',
    { ...change, schema: { params: QaCodeParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const qa = await services.qaSessions.get(ctx.account.id, request.params.code);
      await services.runtime.forget(ctx.account.id, qa.code);
      return back(request, reply, ctx.account.id);
    },
  );

  app.post(
    '/:acc/qa/playground',
    { ...read, schema: { params: AccountParams, body: PlaygroundForm, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const body = request.body;
      const target = await services.deployTargets.get(ctx.account.id, body.deployTarget?.trim() ?? '');
      const atText = body.at?.trim() ?? '';
      const at = atText === '' ? undefined : Date.parse(`${atText}Z`);
      if (at !== undefined && !Number.isFinite(at))
        throw new InvalidInputError('at', 'The time is not a date.');
      const answer = await services.runtime.preview({
        accountId: ctx.account.id,
        deployTargetId: target.id,
        session: body.session?.trim() || undefined,
        commands: [],
        inputs: pairs(body.inputs, 'inputs'),
        queryTraits: (body.traits ?? '').split(','),
        debug: true,
        now: at,
      });
      return sendHtml(reply, <PlaygroundResult answer={answer} />);
    },
  );
}
