/** The routes of Agents: the list, one agent, and creating or saving one from the editor. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { InvalidInputError } from '../../kernel/errors.js';
import { auditActor } from '../../web/actor.js';
import type { Services } from '../../web/services.js';
import { accountContext } from '../kit/context.js';
import { Flash } from '../kit/dialog.js';
import { CONSOLE, isHtmx, sendHtml } from '../kit/html.js';
import { AccountParams } from '../kit/params.js';
import { AgentEditor } from './editor.js';
import { AgentParams, agentInputFromForm, FormBodySchema } from './forms.js';
import { AgentPage, AgentsPage } from './pages.js';

export type AgentPageServices = Pick<Services, 'accounts' | 'agents' | 'goals'>;

export function registerAgentPages(root: FastifyInstance, services: AgentPageServices): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const hide = true;
  const read = { config: { permission: 'read' } } as const;
  const change = { config: { permission: 'change' } } as const;

  app.get('/:acc', { ...read, schema: { params: AccountParams, hide } }, async (request, reply) => {
    return reply.redirect(`${CONSOLE}/${request.params.acc}/agents`, 303);
  });

  app.get('/:acc/agents', { ...read, schema: { params: AccountParams, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return sendHtml(reply, <AgentsPage ctx={ctx} agents={await services.agents.list(ctx.account.id)} />);
  });

  app.get(
    '/:acc/agents/new',
    { ...change, schema: { params: AccountParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      return sendHtml(reply, <AgentPage ctx={ctx} goals={await services.goals.list(ctx.account.id)} />);
    },
  );

  app.get('/:acc/agents/:a', { ...read, schema: { params: AgentParams, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    const [agent, goals] = await Promise.all([
      services.agents.get(ctx.account.id, request.params.a),
      services.goals.list(ctx.account.id),
    ]);
    return sendHtml(reply, <AgentPage ctx={ctx} agent={agent} goals={goals} />);
  });

  app.post(
    '/:acc/agents',
    { ...change, schema: { params: AccountParams, body: FormBodySchema, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const code = typeof request.body.code === 'string' ? request.body.code.trim() : '';
      const existing = await services.agents.list(ctx.account.id);
      if (existing.some((a) => a.code === code)) {
        throw new InvalidInputError('code', `There is already an agent ${code}; choose another code.`);
      }
      const { agent } = await services.agents.put(
        ctx.account.id,
        code,
        agentInputFromForm(request.body),
        auditActor(request),
      );
      const target = `${CONSOLE}/${ctx.account.id}/agents/${agent.code}`;
      if (isHtmx(request)) {
        reply.header('hx-redirect', target);
        return reply.code(204).send();
      }
      return reply.redirect(target, 303);
    },
  );

  app.post(
    '/:acc/agents/:a',
    { ...change, schema: { params: AgentParams, body: FormBodySchema, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      // Editing is for agents that exist; creating goes through the New Agent page.
      await services.agents.get(ctx.account.id, request.params.a);
      const { agent } = await services.agents.put(
        ctx.account.id,
        request.params.a,
        agentInputFromForm(request.body),
        auditActor(request),
      );
      const goals = await services.goals.list(ctx.account.id);
      return sendHtml(
        reply,
        <>
          <AgentEditor ctx={ctx} draft={agent} goals={goals} isNew={false} version={agent.version} />
          <Flash message={`Saved ${agent.code} (version ${agent.version}).`} />
        </>,
      );
    },
  );
}
