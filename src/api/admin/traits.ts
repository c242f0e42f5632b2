/**
 * Custom visitor traits over the Admin API (docs/targeting.md): everyone with `read` lists them;
 * `change` (as for agents) writes them, and the change deploys like an agent's.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { TraitGroup, TraitInput } from '../../agents/traits.js';
import { auditActor } from '../../web/actor.js';
import { AccountParams, Answer, bodyFields, ok } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';
import { TraitRecord, traitRecord } from './trait-presenter.js';

const TraitParams = AccountParams.extend({ group: TraitGroup });

export function registerTraitRoutes(root: FastifyInstance, services: Pick<Services, 'traits'>): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['traits'];
  const one = { 200: Answer(TraitRecord) };

  app.get(
    '/admin/:acc/traits',
    {
      config: { permission: 'read' },
      schema: { tags, params: AccountParams, response: { 200: Answer(z.array(TraitRecord)) } },
    },
    async (request) => ok((await services.traits.list(request.params.acc)).map(traitRecord)),
  );

  app.get(
    '/admin/:acc/traits/:group',
    { config: { permission: 'read' }, schema: { tags, params: TraitParams, response: one } },
    async (request) => ok(traitRecord(await services.traits.get(request.params.acc, request.params.group))),
  );

  app.put(
    '/admin/:acc/traits/:group',
    {
      config: { permission: 'change' },
      schema: {
        tags,
        params: TraitParams,
        body: TraitInput,
        response: { 200: Answer(TraitRecord), 201: Answer(TraitRecord, 201) },
      },
    },
    async (request, reply) => {
      const { trait, created } = await bodyFields(
        services.traits.put(request.params.acc, request.params.group, request.body, auditActor(request)),
      );
      const status = created ? 201 : 200;
      return reply.code(status).send({ status, data: traitRecord(trait) });
    },
  );

  app.delete(
    '/admin/:acc/traits/:group',
    { config: { permission: 'change' }, schema: { tags, params: TraitParams, response: one } },
    async (request) =>
      ok(
        traitRecord(
          await services.traits.remove(request.params.acc, request.params.group, auditActor(request)),
        ),
      ),
  );
}
