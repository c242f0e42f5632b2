/**
 * Real Tessera server processes for the scale-out and fault tests: `tessera serve` as a person
 * starts it, on a port of its own, with only the environment it is given, plus small HTTP
 * helpers (sign in, call the JSON API as a signed-in person or with a key).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { ROOT } from './root.js';

export const SERVER_ADMIN = { email: 'owner@example.com', password: 'owners-password' };

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

// Servers a test started die with it, even when the test runner ends it early (a timeout).
const running = new Set<ChildProcess>();
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
});

export interface ServerProcess {
  base: string;
  port: number;
  child: ChildProcess;
  output(): string;
  /** ends the process with a signal and resolves once it exited */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** the memory the process uses now (RSS, from /proc), in bytes */
  rss(): number | null;
}

export interface ServeOptions {
  /** TESSERA_DATABASE_URL */
  database: string;
  env?: Record<string, string>;
  cwd?: string;
  port?: number;
  readyTimeoutMs?: number;
}

export interface LaunchedServer extends ServerProcess {
  /** Resolves with /health's answer once it has `status`; throws if the process exits first. */
  untilHealth(status: number, timeoutMs?: number): Promise<Response>;
}

/** Starts `tessera serve` without waiting for it: the caller decides what to wait for. */
export async function launch(options: ServeOptions): Promise<LaunchedServer> {
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [join(ROOT, 'bin/tessera.js'), 'serve'], {
    cwd: options.cwd ?? ROOT,
    env: {
      PATH: process.env.PATH ?? '',
      HOME: process.env.HOME ?? '/tmp',
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      TESSERA_DATABASE_URL: options.database,
      TESSERA_ADMIN_EMAIL: SERVER_ADMIN.email,
      TESSERA_ADMIN_PASSWORD: SERVER_ADMIN.password,
      ...options.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  const collect = (chunk: Buffer) => {
    // keep the tail only: a long run under load may log a lot
    output = (output + String(chunk)).slice(-20_000);
  };
  child.stdout?.on('data', collect);
  child.stderr?.on('data', collect);
  running.add(child);
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running.delete(child);
      resolve();
    }),
  );
  const base = `http://127.0.0.1:${port}`;
  return {
    base,
    port,
    child,
    output: () => output,
    async kill(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
    rss() {
      return rssOf(child.pid);
    },
    async untilHealth(status, timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs;
      for (;;) {
        if (child.exitCode !== null || child.signalCode !== null) {
          throw new Error(`tessera serve exited (${child.exitCode ?? child.signalCode}): ${output}`);
        }
        if (Date.now() > deadline) {
          child.kill('SIGKILL');
          throw new Error(`no ${status} from ${base}/health in time: ${output}`);
        }
        const health = await fetch(`${base}/health`).catch(() => undefined);
        if (health?.status === status) return health;
        await new Promise((resolve) => setTimeout(resolve, 25));
      }
    },
  };
}

/** Starts `tessera serve` and waits until /health answers 200. */
export async function serve(options: ServeOptions): Promise<ServerProcess> {
  const server = await launch(options);
  await server.untilHealth(200, options.readyTimeoutMs);
  return server;
}

/** Resident memory of a process in bytes, from /proc (Linux), or null. */
export function rssOf(pid: number | undefined): number | null {
  if (pid === undefined) return null;
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /VmRSS:\s+(\d+) kB/.exec(status);
    return match ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

export interface HttpAnswer {
  status: number;
  headers: Headers;
  body: { status?: number; data?: unknown; code?: string; err?: string } & Record<string, unknown>;
}

/** A JSON request; never throws on an HTTP status (a connection failure does throw). */
export async function call(
  base: string,
  method: string,
  path: string,
  options: { body?: unknown; key?: string; session?: SignedInSession; signal?: AbortSignal } = {},
): Promise<HttpAnswer> {
  const headers: Record<string, string> = {};
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.key) headers.authorization = `Bearer ${options.key}`;
  if (options.session) {
    headers.cookie = options.session.cookie;
    headers['x-csrf-token'] = options.session.csrfToken;
  }
  const res = await fetch(`${base}${path}`, {
    method,
    headers,
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    signal: options.signal ?? AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let body: HttpAnswer['body'] = {};
  try {
    body = text ? JSON.parse(text) : {};
  } catch {
    body = { err: text };
  }
  return { status: res.status, headers: res.headers, body };
}

export interface SignedInSession {
  cookie: string;
  csrfToken: string;
}

export async function signIn(base: string, email = SERVER_ADMIN.email, password = SERVER_ADMIN.password) {
  const res = await fetch(`${base}/auth/login`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ email, password }),
  });
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status} ${await res.text()}`);
  const cookie = (res.headers.get('set-cookie') ?? '').split(';')[0];
  const { data } = (await res.json()) as { data: { csrfToken: string } };
  const me = await call(base, 'GET', '/auth/me', { session: { cookie, csrfToken: data.csrfToken } });
  const accounts = (me.body.data as { accounts: { code: string }[] }).accounts;
  return { cookie, csrfToken: data.csrfToken, accountId: accounts[0].code };
}

/** A goal, an agent with two variations tracking it, and a REST key, made over the Admin API. */
export async function prepareRuntime(
  base: string,
  session: SignedInSession,
  accountId: string,
): Promise<{ key: string; keyId: string }> {
  const goal = await call(base, 'PUT', `/admin/${accountId}/goals/g-buy`, {
    session,
    body: { name: 'Buy', value: 1 },
  });
  if (goal.status >= 300) throw new Error(`goal: ${goal.status} ${JSON.stringify(goal.body)}`);
  const agent = await call(base, 'PUT', `/admin/${accountId}/agents/a-exp`, {
    session,
    body: { variations: [{ code: 'A' }, { code: 'B' }], goals: ['g-buy'] },
  });
  if (agent.status >= 300) throw new Error(`agent: ${agent.status} ${JSON.stringify(agent.body)}`);
  return createKey(base, session, accountId, 'load');
}

export async function createKey(
  base: string,
  session: SignedInSession,
  accountId: string,
  name: string,
): Promise<{ key: string; keyId: string }> {
  const key = await call(base, 'POST', `/admin/${accountId}/api-keys`, {
    session,
    body: { kind: 'rest', name },
  });
  if (key.status !== 201) throw new Error(`key: ${key.status} ${JSON.stringify(key.body)}`);
  const data = key.body.data as { id: string; secret: string };
  return { key: data.secret, keyId: data.id };
}

export interface RuntimeItem {
  a?: string;
  c?: string;
  p?: string;
  g?: string;
  rs?: { a: string; v: number }[];
  md?: Record<string, string>;
}

/** One runtime request: `/{acc}/v3/agent-api?session=…` with the given commands. */
export function runtime(
  base: string,
  key: string,
  accountId: string,
  session: string,
  commands: unknown[],
  signal?: AbortSignal,
): Promise<HttpAnswer> {
  return call(base, 'POST', `/${accountId}/v3/agent-api?session=${encodeURIComponent(session)}`, {
    key,
    body: { commands },
    signal,
  });
}

/** An agent's decision-stats totals (a-exp unless named): its sessions and its conversions of g-buy. */
export async function reportTotals(
  base: string,
  session: SignedInSession,
  accountId: string,
  agent = 'a-exp',
): Promise<{ sessions: number; conversions: number }> {
  const report = await call(base, 'GET', `/admin/${accountId}/reports/decision-stats/${agent}`, { session });
  if (report.status !== 200) throw new Error(`report: ${report.status} ${JSON.stringify(report.body)}`);
  const variations = (
    report.body.data as {
      variations: { sessions: number; goals: { goal: string; conversions: number }[] }[];
    }
  ).variations;
  let sessions = 0;
  let conversions = 0;
  for (const v of variations) {
    sessions += v.sessions;
    conversions += v.goals.find((g) => g.goal === 'g-buy')?.conversions ?? 0;
  }
  return { sessions, conversions };
}
