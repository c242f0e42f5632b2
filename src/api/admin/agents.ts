/** Agents over the Admin API (spec 3.3): everyone with `read` lists them; `change` writes them. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AgentCode, AgentInput } from '../../agents/agents.js';
import { auditActor } from '../../web/actor.js';
import { AccountParams, Answer, bodyFields, ok } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';
import { AgentRecord, agentRecord } from './agent-presenter.js';

const AgentParams = AccountParams.extend({ a: AgentCode });

export function registerAgentRoutes(root: FastifyInstance, services: Pick<Services, 'agents'>): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['agents'];
  const one = { 200: Answer(AgentRecord) };

  app.get(
    '/admin/:acc/agents',
    {
      config: { permission: 'read' },
      schema: { tags, params: AccountParams, response: { 200: Answer(z.array(AgentRecord)) } },
    },
    async (request) => ok((await services.agents.list(request.params.acc)).map(agentRecord)),
  );

  app.get(
    '/admin/:acc/agents/:a',
    { config: { permission: 'read' }, schema: { tags, params: AgentParams, response: one } },
    async (request) => ok(agentRecord(await services.agents.get(request.params.acc, request.params.a))),
  );

  app.put(
    '/admin/:acc/agents/:a',
    {
      config: { permission: 'change' },
      schema: {
        tags,
        params: AgentParams,
        body: AgentInput,
        response: { 200: Answer(AgentRecord), 201: Answer(AgentRecord, 201) },
      },
    },
    async (request, reply) => {
      const { agent, created } = await bodyFields(
        services.agents.put(request.params.acc, request.params.a, request.body, auditActor(request)),
      );
      const status = created ? 201 : 200;
      return reply.code(status).send({ status, data: agentRecord(agent) });
    },
  );

  app.delete(
    '/admin/:acc/agents/:a',
    { config: { permission: 'change' }, schema: { tags, params: AgentParams, response: one } },
    async (request) =>
      ok(
        agentRecord(await services.agents.remove(request.params.acc, request.params.a, auditActor(request))),
      ),
  );
}
