/**
 * Tessera as `npm start` runs it, on a fresh SQLite file (durable events: WAL, synchronous=FULL),
 * with one account, a running agent, a goal and a REST key. Prints the port, account and key on
 * stdout once listening. Logs at `warn`, to stderr (the bench's own output, where a warning is
 * seen; stdout is the bench's channel): per-request info lines would measure the terminal.
 * BENCH_KEY_USAGE=off starts it without key usage counting, BENCH_FAST_PATH=off without the
 * runtime's fast path; BENCH_DATABASE_URL (and
 * BENCH_DATABASE_SCHEMA) put it on another store, BENCH_DATABASE_DIR keeps the SQLite file there,
 * BENCH_SESSION_CACHE caches that many sessions (TESSERA_SESSION_CACHE's default otherwise).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tuneHeap } from '../src/app/heap.js';
import { buildServer } from '../src/app/server.js';
import { createServices } from '../src/app/services.js';
import { openStore } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';

// As `tessera serve` starts.
tuneHeap();
const dir = process.env.BENCH_DATABASE_DIR || mkdtempSync(join(tmpdir(), 'tessera-bench-'));
const store = openStore({
  url: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'tessera.db')}`,
  ...(process.env.BENCH_DATABASE_SCHEMA ? { schema: process.env.BENCH_DATABASE_SCHEMA } : {}),
});
await migrateToLatest(store);
// BENCH_KEY_USAGE=off: key usage is not counted (the baseline of its cost).
const services = createServices(store, {
  countKeyUsage: process.env.BENCH_KEY_USAGE !== 'off',
  ...(process.env.BENCH_KEY_USAGE_FLUSH_MS
    ? { keyUsageFlushMs: Number(process.env.BENCH_KEY_USAGE_FLUSH_MS) }
    : {}),
  ...(process.env.BENCH_SESSION_CACHE ? { sessionCache: Number(process.env.BENCH_SESSION_CACHE) } : {}),
});
const account = await services.accounts.create('Bench');
await services.goals.put(account.id, 'g-bench', { name: 'Signed up', value: 1 });
await services.agents.put(account.id, 'a-bench', {
  name: 'Bench',
  status: 'running',
  metaKeys: ['headline'],
  variations: [
    { code: 'A', name: 'Control', weight: 1, meta: { headline: 'a' } },
    { code: 'B', weight: 1, meta: { headline: 'b' } },
  ],
  goals: ['g-bench'],
});
const { secret } = await services.keys.createKey(account.id, { kind: 'rest', name: 'bench' }, 'bench');
// BENCH_FAST_PATH=off: runtime requests go through Fastify's route (what the fast path saves).
const app = await buildServer(services, {
  logLevel: process.env.LOG_LEVEL ?? 'warn',
  logStream: process.stderr,
  runtimeFastPath: process.env.BENCH_FAST_PATH !== 'off',
});
await app.listen({ port: 0, host: '127.0.0.1' });
const address = app.server.address();
const port = address && typeof address === 'object' ? address.port : 0;
process.stdout.write(`${JSON.stringify({ port, account: account.id, key: secret })}\n`);

async function stop() {
  await app.close();
  const stats = services.events.stats();
  const usage = services.keyUsage.stats();
  await services.close();
  if (!process.env.BENCH_DATABASE_DIR) rmSync(dir, { recursive: true, force: true });
  process.stdout.write(`${JSON.stringify({ events: stats, usage })}\n`);
  process.exit(0);
}
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
