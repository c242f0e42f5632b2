/**
 * `npm run bench`: in one run on this machine, the runtime API against a bare node:http server.
 *
 * 1. A bare node:http server answering a fixed JSON body: the ceiling of this machine, Node and
 *    the load generator.
 * 2. Tessera on a fresh SQLite file with durable events (WAL, synchronous=FULL, group commit),
 *    one account, a running agent, a goal and a REST key; then, each with autocannon at
 *    BENCH_CONNECTIONS (50) keep-alive connections for BENCH_SECONDS (10):
 *    - a selection for a NEW session on every request (a state write and a counted selection),
 *    - a selection for one repeated session (sticky, nothing to write),
 *    - a reward for a session selected in the first scenario (a credited conversion), each once.
 * 3. What counting key usage costs: two Tessera servers, one counting and one not
 *    (BENCH_KEY_USAGE=off), take turns on the repeated-session selection (the fastest path, where
 *    a fixed cost shows most), BENCH_USAGE_ROUNDS (10) rounds of BENCH_USAGE_SECONDS (4) in ABBA
 *    order; requests/s and server CPU per request over all rounds are compared.
 * 4. The key-verification micro-benchmark (bench/key-verify.ts), with the cost of counting a use.
 *
 * Each server runs in its own process; the load generator runs in this one. Beside requests/s
 * and latency, each scenario prints the CPU the server and the load generator used (in cores):
 * on a small machine they share, it tells a server that is busy from one that is waiting.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';
import { printKeyVerify, runKeyVerifyBench } from './key-verify.js';

const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);

interface Started {
  child: ChildProcess;
  info: Record<string, unknown>;
  lines: AsyncIterator<string>;
}

async function start(script: string, env: Record<string, string> = {}): Promise<Started> {
  const child = spawn(process.execPath, ['--import', 'tsx', script], {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`${script} exited before it was ready`);
  return { child, info: JSON.parse(first.value), lines };
}

async function stop(server: Started): Promise<Record<string, unknown> | null> {
  server.child.kill('SIGTERM');
  const next = await Promise.race([
    server.lines.next(),
    new Promise<IteratorResult<string>>((resolve) =>
      setTimeout(() => resolve({ done: true, value: '' }), 10_000),
    ),
  ]);
  if (server.child.exitCode === null) await once(server.child, 'exit');
  return next.done ? null : JSON.parse(next.value);
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux). */
function cpuMs(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

interface Row {
  scenario: string;
  /** server CPU per request, µs */
  cpuPerRequest: number | null;
  /** CPU the server and the load generator used, in cores (1 = one core busy all the time) */
  serverCores: number | null;
  loadCores: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  requests: number;
  non2xx: number;
  errors: number;
}

type SetupRequest = (request: { path?: string; [k: string]: unknown }) => {
  path?: string;
  [k: string]: unknown;
};

async function load(
  scenario: string,
  options: { url: string; body: string; path?: (i: number) => string; seconds?: number; server: Started },
): Promise<Row> {
  const cpuBefore = cpuMs(options.server.child.pid);
  const loadBefore = process.cpuUsage();
  const startedAt = performance.now();
  let i = 0;
  const setupRequest: SetupRequest | undefined = options.path
    ? (request) => {
        request.path = (options.path as (i: number) => string)(i++);
        return request;
      }
    : undefined;
  const result = await autocannon({
    url: options.url,
    connections: CONNECTIONS,
    duration: options.seconds ?? SECONDS,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: options.body,
    ...(setupRequest ? { requests: [{ setupRequest } as never] } : {}),
  });
  const cpuAfter = cpuMs(options.server.child.pid);
  const elapsedMs = performance.now() - startedAt;
  const generatorCpu = process.cpuUsage(loadBefore);
  return {
    scenario,
    serverCores: cpuBefore === null || cpuAfter === null ? null : (cpuAfter - cpuBefore) / elapsedMs,
    loadCores: (generatorCpu.user + generatorCpu.system) / 1000 / elapsedMs,
    cpuPerRequest:
      cpuBefore === null || cpuAfter === null
        ? null
        : ((cpuAfter - cpuBefore) * 1000) / result.requests.total,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    requests: result.requests.total,
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
  };
}

function print(rows: Row[], bare: Row): void {
  const header = [
    'scenario',
    'requests/s',
    'p50 ms',
    'p99 ms',
    'requests',
    'non-2xx',
    'errors',
    'req/s vs bare',
    'server CPU µs/req',
    'server cores',
    'load gen cores',
  ];
  const cells = rows.map((r) => [
    r.scenario,
    Math.round(r.requestsPerSecond).toLocaleString('en-US'),
    String(r.p50),
    String(r.p99),
    r.requests.toLocaleString('en-US'),
    String(r.non2xx),
    String(r.errors),
    (r.requestsPerSecond / bare.requestsPerSecond).toFixed(2),
    r.cpuPerRequest === null ? '?' : r.cpuPerRequest.toFixed(0),
    r.serverCores === null ? '?' : r.serverCores.toFixed(2),
    r.loadCores.toFixed(2),
  ]);
  const widths = header.map((h, c) => Math.max(h.length, ...cells.map((row) => row[c].length)));
  const line = (row: string[]) =>
    row.map((cell, c) => (c === 0 ? cell.padEnd(widths[c]) : cell.padStart(widths[c]))).join('  ');
  console.log(`\nRuntime API at ${CONNECTIONS} keep-alive connections, ${SECONDS} s each (autocannon)`);
  console.log(line(header));
  for (const row of cells) console.log(line(row));
}

async function main(): Promise<void> {
  console.log(`node ${process.version}, ${(await import('node:os')).cpus().length} CPUs`);
  const rows: Row[] = [];
  const selection = JSON.stringify({ commands: [{ a: 'a-bench' }] });
  const reward = JSON.stringify({ commands: [{ g: 'g-bench' }] });

  const bareServer = await start('bench/bare-server.ts');
  const bareUrl = `http://127.0.0.1:${bareServer.info.port}/`;
  await load('warm-up', { url: bareUrl, body: selection, seconds: WARMUP_SECONDS, server: bareServer });
  const bare = await load('bare node:http, fixed JSON', {
    url: bareUrl,
    body: selection,
    server: bareServer,
  });
  rows.push(bare);
  await stop(bareServer);

  const tessera = await start('bench/tessera-server.ts');
  const { port, account, key } = tessera.info as { port: number; account: string; key: string };
  const base = `http://127.0.0.1:${port}`;
  const path = (session: string) =>
    `/${account}/v3/agent-api?apikey=${encodeURIComponent(key)}&session=${encodeURIComponent(session)}`;
  // One request first: it waits for the commit and checkpoint threads to start (they compile
  // their TypeScript), which must not be counted against the first scenario.
  const first = await fetch(base + path('warm-first'), {
    method: 'POST',
    body: selection,
    headers: { 'content-type': 'application/json' },
  });
  if (first.status !== 200) throw new Error(`Tessera answered ${first.status}: ${await first.text()}`);
  await load('warm-up', {
    url: base,
    body: selection,
    path: (i) => path(`warm-${i}`),
    seconds: WARMUP_SECONDS,
    server: tessera,
  });

  const fresh = await load('selection, new session', {
    url: base,
    body: selection,
    path: (i) => path(`new-${i}`),
    server: tessera,
  });
  rows.push(fresh);
  const repeated = await load('selection, repeated session', {
    url: base + path('repeated'),
    body: selection,
    server: tessera,
  });
  rows.push(repeated);
  // Each request credits a session of the first scenario once; past its count they repeat (answer 0).
  const selected = fresh.requests;
  const rewarded = await load('reward, selected session', {
    url: base,
    body: reward,
    path: (i) => path(`new-${i % selected}`),
    server: tessera,
  });
  rows.push(rewarded);
  const final = await stop(tessera);

  print(rows, bare);
  const events = (final?.events ?? {}) as Record<string, number>;
  console.log(
    `Durable writes: ${events.batches ?? '?'} group commits of ${events.items ?? '?'} requests ` +
      `(${events.batches ? (events.items / events.batches).toFixed(1) : '?'} per commit); ` +
      `${events.selectionsCounted ?? '?'} selections and ${events.rewardsCounted ?? '?'} rewards counted; ` +
      `commit time ${events.batches ? (events.commitMs / events.batches).toFixed(1) : '?'} ms on average, ${events.maxCommitMs?.toFixed(0) ?? '?'} ms at most.`,
  );
  const target = fresh.requestsPerSecond / bare.requestsPerSecond;
  console.log(
    `Target (SQLite, durable events): selection ≥ 0.5 × bare and p99 < 20 ms → new session ${target.toFixed(2)} × bare, p99 ${fresh.p99} ms: ${target >= 0.5 && fresh.p99 < 20 ? 'met' : 'NOT met'}`,
  );

  await usageCost(selection);
  printKeyVerify(await runKeyVerifyBench());
}

/**
 * Usage counting on against off, in turns on the same machine. Each round runs both servers back
 * to back (ABBA order, so a load that drifts during the run weighs on both alike). The figure is
 * total requests (and CPU) over all rounds; each round's own ratio is printed too, since on a
 * shared machine single turns differ by far more than the cost being measured.
 */
async function usageCost(selection: string): Promise<void> {
  const rounds = Number(process.env.BENCH_USAGE_ROUNDS ?? 10);
  const turnSeconds = Number(process.env.BENCH_USAGE_SECONDS ?? 4);
  const servers = {
    counted: await start('bench/tessera-server.ts'),
    uncounted: await start('bench/tessera-server.ts', { BENCH_KEY_USAGE: 'off' }),
  };
  const urlOf = (server: Started) => {
    const { port, account, key } = server.info as { port: number; account: string; key: string };
    return `http://127.0.0.1:${port}/${account}/v3/agent-api?apikey=${encodeURIComponent(key)}&session=repeated`;
  };
  for (const server of Object.values(servers)) {
    await load('warm-up', { url: urlOf(server), body: selection, seconds: WARMUP_SECONDS, server });
  }
  const throughputCosts: number[] = [];
  const cpuCosts: number[] = [];
  const totals = { counted: { requests: 0, cpu: 0 }, uncounted: { requests: 0, cpu: 0 } };
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['counted', 'uncounted'] as const) : (['uncounted', 'counted'] as const);
    const rows: Partial<Record<'counted' | 'uncounted', Row>> = {};
    for (const name of order) {
      const server = servers[name];
      rows[name] = await load(name, { url: urlOf(server), body: selection, seconds: turnSeconds, server });
    }
    const on = rows.counted as Row;
    const off = rows.uncounted as Row;
    throughputCosts.push(1 - on.requests / off.requests);
    if (on.cpuPerRequest !== null && off.cpuPerRequest !== null) {
      cpuCosts.push(on.cpuPerRequest / off.cpuPerRequest - 1);
    }
    for (const [name, row] of [
      ['counted', on],
      ['uncounted', off],
    ] as const) {
      totals[name].requests += row.requests;
      totals[name].cpu += (row.cpuPerRequest ?? 0) * row.requests;
    }
  }
  await stop(servers.counted);
  await stop(servers.uncounted);
  const median = (values: number[]) => {
    const sorted = [...values].sort((a, b) => a - b);
    const mid = Math.floor(sorted.length / 2);
    return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
  };
  const percent = (value: number) => `${(value * 100).toFixed(1)}%`;
  const seconds = rounds * turnSeconds;
  const describe = (t: { requests: number; cpu: number }) =>
    `${Math.round(t.requests / seconds).toLocaleString('en-US')} requests/s, ${(t.cpu / t.requests).toFixed(1)} µs server CPU per request`;
  const rate = (t: { requests: number }) => t.requests / seconds;
  const cpu = (t: { requests: number; cpu: number }) => t.cpu / t.requests;
  const throughputCost = 1 - rate(totals.counted) / rate(totals.uncounted);
  const cpuCost = cpu(totals.counted) / cpu(totals.uncounted) - 1;
  console.log(
    `\nKey usage counting, repeated-session selection, ${rounds} rounds of ${turnSeconds} s per server:` +
      `\n  counted:     ${describe(totals.counted)}` +
      `\n  not counted: ${describe(totals.uncounted)}` +
      `\n  cost: ${percent(throughputCost)} of throughput, ${percent(cpuCost)} more CPU per request` +
      ` (target < 5% of throughput: ${throughputCost < 0.05 ? 'met' : 'NOT met'})` +
      `\n  per round (throughput): ${throughputCosts.map(percent).join(', ')}; median ${percent(median(throughputCosts))}` +
      `${cpuCosts.length > 0 ? `; CPU median ${percent(median(cpuCosts))}` : ''}`,
  );
}

await main();
