/** Prometheus metrics: requests by route and status, refused credentials by reason, cache sizes, event batches. */
import type { FastifyInstance } from 'fastify';
import { Counter, collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import type { Services } from './services.js';

export interface Metrics {
  registry: Registry;
  /** counts one answered request (and its refusal, if the authorizer refused it) */
  countRequest(method: string, route: string, status: number, refusalCode: string | null): void;
}

export function registerMetrics(app: FastifyInstance, services: Services): Metrics {
  const registry = new Registry();
  // The process's own: memory (resident, heap), CPU, event-loop lag, open handles, so a server
  // that grows or stalls under sustained load shows it.
  collectDefaultMetrics({ register: registry });
  // Requests are counted here and handed to the counter when it is read: prom-client hashes and
  // checks the labels on every increment, a cost on the runtime's hottest path that a scrape
  // every few seconds need not impose. Methods, routes and statuses are few.
  const requestCounts = new Map<
    string,
    { labels: { method: string; route: string; status: string }; n: number }
  >();
  new Counter({
    name: 'tessera_http_requests_total',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'],
    registers: [registry],
    collect() {
      for (const counted of requestCounts.values()) {
        if (counted.n === 0) continue;
        this.inc(counted.labels, counted.n);
        counted.n = 0;
      }
    },
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

  // Durable events: group commits, what they carried, and what waits for the next one.
  const eventGauges: [string, string, (s: ReturnType<Services['events']['stats']>) => number][] = [
    [
      'tessera_event_batches_committed',
      'Group commits of visitor states and events since start',
      (s) => s.batches,
    ],
    ['tessera_event_writes_committed', 'Requests whose writes were committed since start', (s) => s.items],
    [
      'tessera_event_batch_failures',
      'Group commits that failed (their requests answered 503)',
      (s) => s.failures,
    ],
    ['tessera_event_writes_pending', 'Requests waiting for a group commit', (s) => s.pending],
    ['tessera_event_commit_seconds', 'Time spent in group commits since start', (s) => s.commitMs / 1000],
  ];
  for (const [name, help, read] of eventGauges) {
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(read(services.events.stats()));
      },
    });
  }
  new Gauge({
    name: 'tessera_visitor_cache_entries',
    help: 'Sessions whose visitor state is held in memory',
    registers: [registry],
    collect() {
      this.set(services.visitors.stats().cached);
    },
  });

  new Gauge({
    name: 'tessera_snapshot_cache_targets',
    help: 'Deploy targets whose deployed snapshot is held in memory',
    registers: [registry],
    collect() {
      this.set(services.snapshots.stats().targets);
    },
  });
  new Gauge({
    name: 'tessera_snapshot_cache_bytes',
    help: 'Size of the deployed snapshots held in memory (their JSON length)',
    registers: [registry],
    collect() {
      this.set(services.snapshots.stats().bytes);
    },
  });

  // Synchronous (with `done`): an async hook would cost every request a promise for no wait.
  const countRequest: Metrics['countRequest'] = (method, route, status, refusalCode) => {
    const id = `${method} ${status} ${route}`;
    const counted = requestCounts.get(id);
    if (counted === undefined)
      requestCounts.set(id, { labels: { method, route, status: String(status) }, n: 1 });
    else counted.n++;
    if (refusalCode) refused.inc({ code: refusalCode });
  };
  app.addHook('onResponse', (request, reply, done) => {
    countRequest(
      request.method,
      request.routeOptions.url ?? 'unmatched',
      reply.statusCode,
      request.refusalCode,
    );
    done();
  });
  return { registry, countRequest };
}
