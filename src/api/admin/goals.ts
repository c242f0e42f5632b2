/** Goals over the Admin API (spec 3.3): everyone with `read` lists them; `change` writes them. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { GoalCode, GoalInput } from '../../agents/goals.js';
import { auditActor } from '../../web/actor.js';
import { AccountParams, Answer, bodyFields, ok } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';
import { GoalRecord, goalRecord } from './goal-presenter.js';

const GoalParams = AccountParams.extend({ g: GoalCode });

export function registerGoalRoutes(root: FastifyInstance, services: Pick<Services, 'goals'>): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['goals'];
  const one = { 200: Answer(GoalRecord) };

  app.get(
    '/admin/:acc/goals',
    {
      config: { permission: 'read' },
      schema: { tags, params: AccountParams, response: { 200: Answer(z.array(GoalRecord)) } },
    },
    async (request) => ok((await services.goals.list(request.params.acc)).map(goalRecord)),
  );

  app.get(
    '/admin/:acc/goals/:g',
    { config: { permission: 'read' }, schema: { tags, params: GoalParams, response: one } },
    async (request) => ok(goalRecord(await services.goals.get(request.params.acc, request.params.g))),
  );

  app.put(
    '/admin/:acc/goals/:g',
    {
      config: { permission: 'change' },
      schema: {
        tags,
        params: GoalParams,
        body: GoalInput,
        response: { 200: Answer(GoalRecord), 201: Answer(GoalRecord, 201) },
      },
    },
    async (request, reply) => {
      const { goal, created } = await bodyFields(
        services.goals.put(request.params.acc, request.params.g, request.body, auditActor(request)),
      );
      const status = created ? 201 : 200;
      return reply.code(status).send({ status, data: goalRecord(goal) });
    },
  );

  app.delete(
    '/admin/:acc/goals/:g',
    { config: { permission: 'change' }, schema: { tags, params: GoalParams, response: one } },
    async (request) =>
      ok(goalRecord(await services.goals.remove(request.params.acc, request.params.g, auditActor(request)))),
  );
}
