/** Agents over the Admin API (spec 3.3): everyone with `read` lists them; `change` writes them. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { type Agent, AgentCode, AgentInput } from '../agents/agents.js';
import { InvalidInputError } from '../kernel/errors.js';
import { auditActor } from '../web/actor.js';
import { AccountParams, iso, ok } from '../web/schemas.js';
import type { Services } from '../web/services.js';

const AgentParams = AccountParams.extend({ a: AgentCode });

/** The agent resource: what a person wrote, plus the server's version and timestamps. */
export function agentRecord(agent: Agent) {
  return {
    code: agent.code,
    name: agent.name,
    status: agent.status,
    pausedAt: agent.pausedAt,
    metaKeys: agent.metaKeys,
    variations: agent.variations,
    conditions: agent.conditions,
    goals: agent.goals,
    version: agent.version,
    createdAt: iso(agent.createdAt),
    updatedAt: iso(agent.updatedAt),
  };
}

/** The domain names fields of what it was given; here that is the body, as schema errors say. */
export async function fieldsOfBody<T>(work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof InvalidInputError) throw new InvalidInputError(`body.${error.field}`, error.message);
    throw error;
  }
}

export function registerAgentRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['agents'];

  app.get(
    '/admin/:acc/agents',
    { config: { permission: 'read' }, schema: { tags, params: AccountParams } },
    async (request) => ok((await services.agents.list(request.params.acc)).map(agentRecord)),
  );

  app.get(
    '/admin/:acc/agents/:a',
    { config: { permission: 'read' }, schema: { tags, params: AgentParams } },
    async (request) => ok(agentRecord(await services.agents.get(request.params.acc, request.params.a))),
  );

  app.put(
    '/admin/:acc/agents/:a',
    { config: { permission: 'change' }, schema: { tags, params: AgentParams, body: AgentInput } },
    async (request, reply) => {
      const { agent, created } = await fieldsOfBody(
        services.agents.put(request.params.acc, request.params.a, request.body, auditActor(request)),
      );
      const status = created ? 201 : 200;
      return reply.code(status).send({ status, data: agentRecord(agent) });
    },
  );

  app.delete(
    '/admin/:acc/agents/:a',
    { config: { permission: 'change' }, schema: { tags, params: AgentParams } },
    async (request) =>
      ok(
        agentRecord(await services.agents.remove(request.params.acc, request.params.a, auditActor(request))),
      ),
  );
}
