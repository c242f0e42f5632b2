/** Goals over the Admin API (spec 3.3): everyone with `read` lists them; `change` writes them. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { type Goal, GoalCode, GoalInput } from '../agents/goals.js';
import { auditActor } from '../web/actor.js';
import { AccountParams, iso, ok } from '../web/schemas.js';
import type { Services } from '../web/services.js';
import { fieldsOfBody } from './agents.js';

const GoalParams = AccountParams.extend({ g: GoalCode });

/** The goal resource: what a person wrote, plus the server's version and timestamps. */
export function goalRecord(goal: Goal) {
  return {
    code: goal.code,
    name: goal.name,
    value: goal.value,
    version: goal.version,
    createdAt: iso(goal.createdAt),
    updatedAt: iso(goal.updatedAt),
  };
}

export function registerGoalRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['goals'];

  app.get(
    '/admin/:acc/goals',
    { config: { permission: 'read' }, schema: { tags, params: AccountParams } },
    async (request) => ok((await services.goals.list(request.params.acc)).map(goalRecord)),
  );

  app.get(
    '/admin/:acc/goals/:g',
    { config: { permission: 'read' }, schema: { tags, params: GoalParams } },
    async (request) => ok(goalRecord(await services.goals.get(request.params.acc, request.params.g))),
  );

  app.put(
    '/admin/:acc/goals/:g',
    { config: { permission: 'change' }, schema: { tags, params: GoalParams, body: GoalInput } },
    async (request, reply) => {
      const { goal, created } = await fieldsOfBody(
        services.goals.put(request.params.acc, request.params.g, request.body, auditActor(request)),
      );
      const status = created ? 201 : 200;
      return reply.code(status).send({ status, data: goalRecord(goal) });
    },
  );

  app.delete(
    '/admin/:acc/goals/:g',
    { config: { permission: 'change' }, schema: { tags, params: GoalParams } },
    async (request) =>
      ok(goalRecord(await services.goals.remove(request.params.acc, request.params.g, auditActor(request)))),
  );
}
