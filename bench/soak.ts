/**
 * `npm run bench:soak`: two Tessera servers (`tessera serve` processes) on one PostgreSQL schema,
 * under sustained load from autocannon for SOAK_SECONDS (default 180), half of the connections
 * on each server, as behind a load balancer. The load mixes what the runtime API sees: a
 * selection for a new session (its counted selection, its state derived from it), a selection for a
 * returning session, and a reward for a session selected earlier (on either server).
 *
 * Prints, every SOAK_INTERVAL_SECONDS (default 10): requests per second of each server and any
 * errors, and each server's memory (resident and heap, from its /metrics); at the end the totals,
 * the error count (must be 0), memory at start and end, and whether the report counted every
 * session. Exits 1 if any request failed.
 *
 * SOAK_CONNECTIONS (default 32 in all), TESSERA_BENCH_POSTGRES_URL (default the local test
 * database), TESSERA_REDIS_URL (optional: the servers share limits through it).
 */
import { randomBytes } from 'node:crypto';
import autocannon from 'autocannon';
import pg from 'pg';
import {
  call,
  prepareRuntime,
  reportTotals,
  type ServerProcess,
  serve,
  signIn,
} from '../test/helpers/servers.js';

const SECONDS = Number(process.env.SOAK_SECONDS ?? 180);
const CONNECTIONS = Number(process.env.SOAK_CONNECTIONS ?? 32);
const INTERVAL = Number(process.env.SOAK_INTERVAL_SECONDS ?? 10);
const POSTGRES = process.env.TESSERA_BENCH_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

interface Memory {
  rss: number;
  heap: number;
}

/** Resident memory and used heap of a server, as its /metrics reports them. */
async function memoryOf(server: ServerProcess): Promise<Memory> {
  const text = await (await fetch(`${server.base}/metrics`)).text();
  const read = (name: string) => Number(new RegExp(`^${name} (\\S+)`, 'm').exec(text)?.[1] ?? Number.NaN);
  return { rss: read('process_resident_memory_bytes'), heap: read('nodejs_heap_size_used_bytes') };
}

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(1)} MB`;

async function admin(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: POSTGRES });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

const schema = `soak_${randomBytes(4).toString('hex')}`;
const env: Record<string, string> = { TESSERA_DATABASE_SCHEMA: schema, LOG_LEVEL: 'error' };
if (process.env.TESSERA_REDIS_URL) env.TESSERA_REDIS_URL = process.env.TESSERA_REDIS_URL;

const servers: ServerProcess[] = [];
try {
  servers.push(await serve({ database: POSTGRES, env }));
  servers.push(await serve({ database: POSTGRES, env }));
  const [a, b] = servers;
  const session = await signIn(a.base);
  const { accountId } = session;
  const { key } = await prepareRuntime(a.base, session, accountId);
  const selection = JSON.stringify({ commands: [{ a: 'a-exp' }] });
  const reward = JSON.stringify({ commands: [{ g: 'g-buy' }] });

  // One sequence for both servers: a reward may reach the server that did not select.
  let next = 0;
  const sessionsSent = new Set<string>();
  type Request = { path?: string; body?: string; [k: string]: unknown };
  const setupRequest = (request: Request): Request => {
    const n = next++;
    const kind = n % 4;
    if (kind === 0 || kind === 1) {
      sessionsSent.add(`soak-${n}`);
      request.path = `/${accountId}/v3/agent-api?session=soak-${n}`;
      request.body = selection;
    } else if (kind === 2) {
      sessionsSent.add(`returning-${n % 2000}`);
      request.path = `/${accountId}/v3/agent-api?session=returning-${n % 2000}`;
      request.body = selection;
    } else {
      request.path = `/${accountId}/v3/agent-api?session=soak-${Math.max(0, n - 203)}`;
      request.body = reward;
    }
    return request;
  };

  const start = await Promise.all(servers.map(memoryOf));
  console.log(
    `Soak: 2 servers on PostgreSQL (schema ${schema})${env.TESSERA_REDIS_URL ? ' sharing Redis' : ''}, ${CONNECTIONS} connections, ${SECONDS} s`,
  );
  console.log(
    `start: A rss ${mb(start[0].rss)} heap ${mb(start[0].heap)}; B rss ${mb(start[1].rss)} heap ${mb(start[1].heap)}`,
  );

  const perSecond = [0, 0];
  const failures = [0, 0];
  const runs = servers.map(
    (server, i) =>
      new Promise<autocannon.Result>((resolve, reject) => {
        const instance = autocannon(
          {
            url: server.base,
            connections: Math.max(1, CONNECTIONS >> 1),
            duration: SECONDS,
            method: 'POST',
            headers: { 'content-type': 'application/json', authorization: `Bearer ${key}` },
            requests: [{ setupRequest } as never],
          },
          (error, result) => (error ? reject(error) : resolve(result)),
        );
        instance.on('response', (_client, statusCode) => {
          perSecond[i]++;
          if (statusCode !== 200) failures[i]++;
        });
        instance.on('reqError', () => {
          failures[i]++;
        });
      }),
  );

  const samples: Memory[][] = [];
  const started = Date.now();
  const timer = setInterval(async () => {
    const [ra, rb] = perSecond.map((n) => n / INTERVAL);
    perSecond[0] = 0;
    perSecond[1] = 0;
    const memory = await Promise.all(servers.map(memoryOf)).catch(() => null);
    if (memory) samples.push(memory);
    const at = Math.round((Date.now() - started) / 1000);
    console.log(
      `${String(at).padStart(4)} s  A ${ra.toFixed(0).padStart(6)} req/s  B ${rb.toFixed(0).padStart(6)} req/s  errors ${failures[0] + failures[1]}` +
        (memory
          ? `  A rss ${mb(memory[0].rss)} heap ${mb(memory[0].heap)}  B rss ${mb(memory[1].rss)} heap ${mb(memory[1].heap)}`
          : ''),
    );
  }, INTERVAL * 1000);

  const results = await Promise.all(runs);
  clearInterval(timer);
  // Let in-flight commits settle before reading the memory and the report.
  await new Promise((resolve) => setTimeout(resolve, 1000));
  const end = await Promise.all(servers.map(memoryOf));
  const report = await reportTotals(b.base, session, accountId);
  const total = results.reduce((sum, r) => sum + r.requests.total, 0);
  const errors = results.reduce((sum, r) => sum + r.errors + r.timeouts + r.non2xx, 0);

  console.log('\nSummary');
  for (const [i, r] of results.entries()) {
    console.log(
      `server ${'AB'[i]}: ${r.requests.total} requests, ${r.requests.average.toFixed(0)} req/s on average, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms, non-2xx ${r.non2xx}, errors ${r.errors}, timeouts ${r.timeouts}`,
    );
  }
  console.log(
    `total: ${total} requests in ${SECONDS} s (${(total / SECONDS).toFixed(0)} req/s); errors: ${errors}`,
  );
  for (const [i, name] of ['A', 'B'].entries()) {
    console.log(
      `memory ${name}: rss ${mb(start[i].rss)} -> ${mb(end[i].rss)}, heap ${mb(start[i].heap)} -> ${mb(end[i].heap)}`,
    );
  }
  if (samples.length >= 4) {
    // Leveling off: the second half of the run should not keep growing like the first.
    const half = samples.slice(Math.floor(samples.length / 2));
    for (const [i, name] of ['A', 'B'].entries()) {
      const rss = half.map((m) => m[i].rss);
      console.log(
        `memory ${name}, second half of the run: rss ${mb(Math.min(...rss))} .. ${mb(Math.max(...rss))}`,
      );
    }
  }
  console.log(
    `report: ${report.sessions} sessions counted, ${sessionsSent.size} distinct sessions sent a selection; ${report.conversions} conversions`,
  );
  await call(a.base, 'GET', '/health');
  process.exitCode = errors > 0 ? 1 : 0;
} finally {
  for (const server of servers) await server.kill('SIGTERM');
  await admin(`drop schema if exists ${schema} cascade`).catch((error: unknown) => {
    console.error(`could not drop schema ${schema}: ${String(error)}`);
  });
}
