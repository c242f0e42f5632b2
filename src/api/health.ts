import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { sql } from 'kysely';
import { z } from 'zod';
import { sendError } from '../web/errors.js';
import type { Metrics } from '../web/metrics.js';
import { Answer, ok } from '../web/schemas.js';
import type { Services } from '../web/services.js';

export function registerHealthRoutes(
  root: FastifyInstance,
  services: Pick<Services, 'store'>,
  metrics: Metrics,
): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/health',
    {
      config: { permission: 'public' },
      schema: { hide: true, response: { 200: Answer(z.object({ ok: z.literal(true) })) } },
    },
    async (_request, reply) => {
      try {
        await sql`select 1`.execute(services.store.db);
        return ok({ ok: true as const });
      } catch {
        reply.header('retry-after', '1');
        return sendError(reply, 503, 'store_unavailable', 'The database cannot be reached');
      }
    },
  );

  app.get(
    '/metrics',
    { config: { permission: 'public' }, schema: { hide: true } },
    async (_request, reply) => {
      reply.type(metrics.registry.contentType);
      return metrics.registry.metrics();
    },
  );
}
