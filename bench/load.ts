/**
 * What the benchmarks share: starting and stopping a server process, the CPU it used, and a load
 * run with wrk (when installed) or autocannon, measured alike.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import autocannon from 'autocannon';

export const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
export const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
export const WARMUP_SECONDS = Number(process.env.BENCH_WARMUP_SECONDS ?? 5);

/** The runtime requests every bench sends: a selection of the bench agent, a reward of its goal. */
export const selection = JSON.stringify({ commands: [{ a: 'a-bench' }] });
export const reward = JSON.stringify({ commands: [{ g: 'g-bench' }] });

/** The runtime path for `session` on a server that printed its account and key (Tessera, the least floor). */
export const runtimePath = (info: Record<string, unknown>, session: string) =>
  `/${info.account}/v3/agent-api?apikey=${encodeURIComponent(String(info.key))}&session=${session}`;

/** The middle value; the mean of the two middle ones for an even count. */
export function median(values: number[]): number {
  const sorted = [...values].sort((x, y) => x - y);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
}

/** wrk's path when it is installed (and not declined), else null: autocannon is used. */
function findWrk(): string | null {
  if (process.env.BENCH_LOAD_GENERATOR === 'autocannon') return null;
  try {
    return execFileSync('sh', ['-c', 'command -v wrk'], { encoding: 'utf8' }).trim() || null;
  } catch {
    return null;
  }
}
export const WRK = findWrk();

/**
 * Where the load generator runs: with taskset installed and two or more cores, wrk keeps to the
 * last core, so it cannot take the core the server's main thread is on, and a figure depends
 * less on where the scheduler put the two (with both floating, one run of the same server
 * measured 20k and the next 35k requests/s on this 2-core machine). The servers are not pinned:
 * their commit and checkpoint threads may use what wrk leaves of its core, as in production
 * (pinned to one core, the main and commit threads queued behind each other: new sessions fell
 * from 11.5k to 9.5k requests/s and their p99 rose to 23 ms). BENCH_PIN=off lets wrk float too.
 * Autocannon runs in the bench's own process, which is not pinned.
 */
function findPinning(): { taskset: string; load: string } | null {
  if (process.env.BENCH_PIN === 'off') return null;
  const cores = availableParallelism();
  if (cores < 2) return null;
  try {
    const taskset = execFileSync('sh', ['-c', 'command -v taskset'], { encoding: 'utf8' }).trim();
    return taskset ? { taskset, load: String(cores - 1) } : null;
  } catch {
    return null;
  }
}
export const PINNING = findPinning();
export const PLACEMENT =
  PINNING && WRK ? `wrk on core ${PINNING.load}, servers unpinned` : 'processes not pinned to cores';
const WRK_THREADS = Number(process.env.BENCH_WRK_THREADS ?? 1);
export const GENERATOR = WRK ? `wrk, ${WRK_THREADS} thread${WRK_THREADS === 1 ? '' : 's'}` : 'autocannon';

export interface Started {
  child: ChildProcess;
  info: Record<string, unknown>;
  lines: AsyncIterator<string>;
}

/**
 * Starts a server script; BENCH_SERVER_NODE_ARGS adds Node options of its own (a profile:
 * `--cpu-prof --cpu-prof-dir=DIR`, which Node refuses in NODE_OPTIONS).
 */
/** Servers started and not yet exited: a bench that fails midway leaves none running. */
const running = new Set<ChildProcess>();
process.on('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export async function start(script: string, env: Record<string, string> = {}): Promise<Started> {
  const extra = (process.env.BENCH_SERVER_NODE_ARGS ?? '').split(' ').filter(Boolean);
  const child = spawn(process.execPath, [...extra, '--import', 'tsx', script], {
    cwd: new URL('..', import.meta.url).pathname,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const lines = createInterface({ input: child.stdout as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  const first = await lines.next();
  if (first.done) throw new Error(`${script} exited before it was ready`);
  return { child, info: JSON.parse(first.value), lines };
}

export async function stop(server: Started): Promise<Record<string, unknown> | null> {
  server.child.kill('SIGTERM');
  const next = await Promise.race([
    server.lines.next(),
    new Promise<IteratorResult<string>>((resolve) =>
      setTimeout(() => resolve({ done: true, value: '' }), 30_000),
    ),
  ]);
  if (server.child.exitCode === null) await once(server.child, 'exit');
  return next.done ? null : JSON.parse(next.value);
}

/** CPU time (user + system, ms) a process has used so far, from /proc (Linux). */
export function cpuMs(pid: number | undefined): number | null {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    // utime and stime are fields 14 and 15 of stat, in clock ticks (100 per second on Linux).
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100;
  } catch {
    return null;
  }
}

export interface Row {
  scenario: string;
  /** server CPU per request, µs */
  cpuPerRequest: number | null;
  /** CPU the server and the load generator used, in cores (1 = one core busy all the time) */
  serverCores: number | null;
  loadCores: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  /** latency (ms) at percentiles of the run, [percentile, ms], ascending: runs can be merged */
  latencies: Array<[number, number]>;
  requests: number;
  non2xx: number;
  errors: number;
}

/**
 * The latency (ms) at percentile `at` of several runs taken as one: each run's distribution is read
 * between its measured percentiles (linearly), weighted by its requests, and the latency found
 * where the runs' combined share of faster requests reaches `at`.
 */
export function mergedPercentile(
  runs: Array<{ requests: number; latencies: Array<[number, number]> }>,
  at: number,
): number {
  const usable = runs.filter((run) => run.requests > 0 && run.latencies.length > 1);
  if (usable.length === 0) return Number.NaN;
  const total = usable.reduce((sum, run) => sum + run.requests, 0);
  // the share of a run's requests answered within `ms`
  const shareWithin = (curve: Array<[number, number]>, ms: number): number => {
    if (ms < curve[0][1]) return 0;
    for (let i = 1; i < curve.length; i++) {
      const [p0, v0] = curve[i - 1];
      const [p1, v1] = curve[i];
      if (ms < v1) return (v1 === v0 ? p1 : p0 + ((p1 - p0) * (ms - v0)) / (v1 - v0)) / 100;
    }
    return 1;
  };
  const within = (ms: number) =>
    usable.reduce((sum, run) => sum + run.requests * shareWithin(run.latencies, ms), 0) / total;
  let low = 0;
  let high = Math.max(...usable.map((run) => run.latencies[run.latencies.length - 1][1]));
  for (let i = 0; i < 50; i++) {
    const mid = (low + high) / 2;
    if (within(mid) >= at / 100) high = mid;
    else low = mid;
  }
  return high;
}

/**
 * Where the requests go: one fixed path, or a path ending in a number that grows by one per
 * request (from `from`, 0 by default; the count modulo `cycle` when given), so each request names
 * a session of its own. With `below`, the run ends early rather than name `below` or more: the
 * sessions there may not exist yet (with autocannon, which cannot, it names `from` on again).
 */
export type Target = { fixed: string } | { prefix: string; cycle?: number; from?: number; below?: number };

interface Measured {
  requests: number;
  requestsPerSecond: number;
  p50: number;
  p99: number;
  latencies: Array<[number, number]>;
  non2xx: number;
  errors: number;
  /** CPU the load generator used, ms */
  cpuMs: number;
}

async function runAutocannon(
  base: string,
  target: Target,
  body: string,
  seconds: number,
  amount?: number,
): Promise<Measured> {
  const before = process.cpuUsage();
  let i = 0;
  const setupRequest =
    'prefix' in target
      ? (() => {
          // autocannon cannot end a timed run early: past `below` it names the turn's first again.
          const from = target.from ?? 0;
          const span = target.below === undefined ? undefined : Math.max(1, target.below - from);
          const wrap = Math.min(target.cycle ?? Number.POSITIVE_INFINITY, span ?? Number.POSITIVE_INFINITY);
          return (request: { path?: string }) => {
            request.path = target.prefix + (from + (Number.isFinite(wrap) ? i++ % wrap : i++));
            return request;
          };
        })()
      : undefined;
  const result = await autocannon({
    url: base + ('fixed' in target ? target.fixed : ''),
    connections: CONNECTIONS,
    ...(amount ? { amount } : { duration: seconds }),
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body,
    ...(setupRequest ? { requests: [{ setupRequest } as never] } : {}),
  });
  const used = process.cpuUsage(before);
  return {
    requests: result.requests.total,
    requestsPerSecond: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    latencies: (
      [
        [0, result.latency.min],
        [50, result.latency.p50],
        [90, result.latency.p90],
        [97.5, result.latency.p97_5],
        [99, result.latency.p99],
        [99.9, result.latency.p99_9],
        [100, result.latency.max],
      ] as Array<[number, number]>
    ).filter(([, value]) => Number.isFinite(value)),
    non2xx: result.non2xx,
    errors: result.errors + result.timeouts,
    cpuMs: (used.user + used.system) / 1000,
  };
}

const lua = (value: string) => JSON.stringify(value); // a JSON string is a valid Lua string here

const DONE = 'tessera-bench: share answered';
const LATENCY = 'tessera-bench: latency';
const PERCENTILES = [
  0, 10, 25, 50, 75, 80, 85, 90, 91, 92, 93, 94, 95, 96, 97, 98, 98.5, 99, 99.2, 99.4, 99.6, 99.8, 99.9,
  99.95, 99.99,
];

/** wrk's Lua script: the method, body and header, and per request a path of its own when asked. */
function wrkScript(target: Target, body: string, amount?: number): string {
  const lines = [
    'wrk.method = "POST"',
    `wrk.body = ${lua(body)}`,
    'wrk.headers["Content-Type"] = "application/json"',
  ];
  if ('prefix' in target) {
    // Each wrk thread runs its own copy of the script: the thread number keeps their paths apart.
    lines.push(
      `local prefix = ${lua(target.prefix)}`,
      `local cycle = ${target.cycle ?? 0}`,
      `local from = ${target.from ?? 0}`,
      `local below = ${target.below ?? -1}`,
      'local ended = false',
      'local i = 0',
      'local step = 1',
      'function setup(thread) thread:set("first", threads_set or 0); threads_set = (threads_set or 0) + 1 end',
      `function init(args) i = first or 0; step = ${WRK_THREADS} end`,
      'function request()',
      '  local n = i',
      '  i = i + step',
      '  if cycle > 0 then n = n % cycle end',
      // Out of names: the thread stops and says so, and the bench interrupts wrk (as for an
      // amount); what its connections still send names none of the sequence.
      '  if below >= 0 and from + n >= below then',
      `    if not ended then ended = true; io.write("${DONE}\\n"); io.flush(); wrk.thread:stop() end`,
      '    return wrk.format(nil, prefix .. "none")',
      '  end',
      '  return wrk.format(nil, prefix .. (from + n))',
      'end',
    );
  }
  // The latency at enough percentiles that turns can be merged into one distribution.
  lines.push(
    `local percentiles = {${PERCENTILES.join(', ')}}`,
    'function done(summary, latency, requests)',
    '  for _, p in ipairs(percentiles) do',
    `    io.write(string.format("${LATENCY} %s %d\\n", p, latency:percentile(p)))`,
    '  end',
    // wrk's percentile(100) is 0: the slowest is its max
    `  io.write(string.format("${LATENCY} 100 %d\\n", latency.max))`,
    'end',
  );
  if (amount) {
    // wrk runs for a time, not a number of requests: each thread stops at its share and says so,
    // and on hearing it from all of them the bench interrupts wrk, which then reports.
    lines.push(
      'local answered = 0',
      `local share = ${Math.ceil(amount / WRK_THREADS)}`,
      'function response()',
      '  answered = answered + 1',
      `  if answered == share then io.write("${DONE}\\n"); io.flush(); wrk.thread:stop() end`,
      'end',
    );
  }
  return `${lines.join('\n')}\n`;
}

/** A wrk duration (us, ms, s, m) in milliseconds. */
function wrkMs(text: string): number {
  const match = /^([\d.]+)(us|ms|s|m)$/.exec(text);
  if (!match) return Number.NaN;
  const value = Number(match[1]);
  return value * { us: 0.001, ms: 1, s: 1000, m: 60_000 }[match[2] as 'us' | 'ms' | 's' | 'm'];
}

async function runWrk(
  base: string,
  target: Target,
  body: string,
  seconds: number,
  amount?: number,
): Promise<Measured> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-wrk-'));
  try {
    const script = join(dir, 'post.lua');
    writeFileSync(script, wrkScript(target, body, amount));
    const url = base + ('fixed' in target ? target.fixed : '/');
    const args = [
      '-t',
      String(WRK_THREADS),
      '-c',
      String(CONNECTIONS),
      '-d',
      // wrk takes whole seconds only
      `${amount ? 86_400 : Math.max(1, Math.round(seconds))}s`,
    ];
    args.push('--latency', '-s', script, url);
    // The shell's `times` reports the CPU its children (wrk) used, once wrk has exited; it names
    // wrk's process first, to be interrupted when a number of requests was asked for.
    const shell = `"$0" "$@" & pid=$!; echo "wrk $pid" >&2; wait $pid; code=$?; times >&2; exit $code`;
    const wrk = PINNING ? [PINNING.taskset, '-c', PINNING.load, WRK as string] : [WRK as string];
    const child = spawn('sh', ['-c', shell, ...wrk, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let interrupted = false;
    const ends = amount !== undefined || ('prefix' in target && target.below !== undefined);
    child.stdout.on('data', (d) => {
      out += d;
      if (ends && !interrupted && out.split(DONE).length > WRK_THREADS) {
        interrupted = true;
        const pid = Number(/^wrk (\d+)/m.exec(err)?.[1]);
        if (pid > 0) process.kill(pid, 'SIGINT');
      }
    });
    child.stderr.on('data', (d) => (err += d));
    const [code] = await once(child, 'exit');
    if (code !== 0) throw new Error(`wrk failed (${code}): ${err}${out}`);
    const distribution = (p: string) => wrkMs(new RegExp(`^\\s+${p}%\\s+(\\S+)`, 'm').exec(out)?.[1] ?? '');
    const requests = Number(/(\d+) requests in/.exec(out)?.[1] ?? 0);
    const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
    // `times`: the shell's own user and system time, then its children's (lines like 0m1.230s 0m0.450s).
    const childTimes = err.trim().split('\n').at(-1) ?? '';
    const cpu = [...childTimes.matchAll(/(\d+)m([\d.]+)s/g)].reduce(
      (sum, m) => sum + (Number(m[1]) * 60 + Number(m[2])) * 1000,
      0,
    );
    return {
      requests,
      requestsPerSecond: Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1] ?? 0),
      p50: distribution('50'),
      p99: distribution('99'),
      // wrk's percentiles are in microseconds
      latencies: [...out.matchAll(new RegExp(`^${LATENCY} ([\\d.]+) (\\d+)$`, 'gm'))].map(
        (m): [number, number] => [Number(m[1]), Number(m[2]) / 1000],
      ),
      non2xx: Number(/Non-2xx or 3xx responses: (\d+)/.exec(out)?.[1] ?? 0),
      errors: socket ? socket.slice(1).reduce((sum, n) => sum + Number(n), 0) : 0,
      cpuMs: cpu,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function load(
  scenario: string,
  options: {
    base: string;
    target: Target;
    body: string;
    /** how long to run (BENCH_SECONDS by default), or how many requests to answer */
    seconds?: number;
    amount?: number;
    server: Started;
  },
): Promise<Row> {
  const cpuBefore = cpuMs(options.server.child.pid);
  const startedAt = performance.now();
  const seconds = options.seconds ?? SECONDS;
  const run = WRK ? runWrk : runAutocannon;
  const result = await run(options.base, options.target, options.body, seconds, options.amount);
  const cpuAfter = cpuMs(options.server.child.pid);
  const elapsedMs = performance.now() - startedAt;
  const serverMs = cpuBefore === null || cpuAfter === null ? null : cpuAfter - cpuBefore;
  return {
    scenario,
    serverCores: serverMs === null ? null : serverMs / elapsedMs,
    loadCores: result.cpuMs / elapsedMs,
    cpuPerRequest: serverMs === null ? null : (serverMs * 1000) / result.requests,
    requestsPerSecond: result.requestsPerSecond,
    p50: result.p50,
    p99: result.p99,
    latencies: result.latencies,
    requests: result.requests,
    non2xx: result.non2xx,
    errors: result.errors,
  };
}
