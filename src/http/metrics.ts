/** Prometheus metrics: requests by route and status, refused credentials by reason, cache sizes. */
import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Registry } from 'prom-client';
import type { Services } from '../services.js';

export interface Metrics {
  registry: Registry;
}

export function registerMetrics(app: FastifyInstance, services: Services): Metrics {
  const registry = new Registry();
  const requests = new Counter({
    name: 'tessera_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
  });
  const refused = new Counter({
    name: 'tessera_refused_credentials_total',
    help: 'Requests refused by the authorizer, by reason',
    labelNames: ['code'],
    registers: [registry],
  });
  new Gauge({
    name: 'tessera_key_cache_entries',
    help: 'API keys held in the verification cache',
    registers: [registry],
    collect() {
      this.set(services.keyVerifier.stats().keys);
    },
  });
  new Gauge({
    name: 'tessera_key_negative_cache_entries',
    help: 'Unknown key hashes remembered so repeated tries cost no store lookup',
    registers: [registry],
    collect() {
      this.set(services.keyVerifier.stats().unknown);
    },
  });

  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    requests.inc({ method: request.method, route, status: String(reply.statusCode) });
    if (request.refusalCode) refused.inc({ code: request.refusalCode });
  });
  return { registry };
}
