import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { sendError } from '../web/errors.js';
import type { Metrics } from '../web/metrics.js';
import type { Services } from '../web/services.js';

export function registerHealthRoutes(app: FastifyInstance, services: Services, metrics: Metrics): void {
  app.get(
    '/health',
    { config: { permission: 'public' }, schema: { hide: true } },
    async (_request, reply) => {
      try {
        await sql`select 1`.execute(services.store.db);
        return { status: 200, data: { ok: true } };
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
