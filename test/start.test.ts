/**
 * The first start, as a person runs it: `tessera serve` on an empty data directory. With
 * TESSERA_ADMIN_EMAIL/PASSWORD it creates the first Account Admin, who can sign in as soon as
 * /health says the server is ready; without them it prints a one-time setup link.
 */
import assert from 'node:assert/strict';
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import { connect, createServer as createNetServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { ROOT } from './helpers/root.js';
import { freePort, launch, SERVER_ADMIN } from './helpers/servers.js';
import { createSchema, dropSchema, postgresAvailable, postgresUrl } from './helpers/store.js';

interface Running {
  child: ChildProcess;
  base: string;
  output(): string;
  stop(): Promise<number | null>;
}

/** Starts `tessera serve` in a fresh directory and waits for /health to answer 200. */
async function serve(dir: string, env: Record<string, string>): Promise<Running> {
  const port = await freePort();
  const child = spawn(process.execPath, [join(ROOT, 'bin/tessera.js'), 'serve'], {
    cwd: dir,
    // only what the server needs: nothing of the test run leaks in
    env: {
      PATH: process.env.PATH ?? '',
      HOME: dir,
      PORT: String(port),
      HOST: '127.0.0.1',
      LOG_LEVEL: 'warn',
      TESSERA_DATABASE_URL: `sqlite:${join(dir, 'data', 't.db')}`,
      ...env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout?.on('data', (chunk) => {
    output += String(chunk);
  });
  child.stderr?.on('data', (chunk) => {
    output += String(chunk);
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const base = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`tessera serve exited with ${child.exitCode}: ${output}`);
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`no 200 from /health within 60 s: ${output}`);
    }
    const health = await fetch(`${base}/health`).catch(() => undefined);
    if (health?.status === 200) {
      assert.deepEqual(await health.json(), { status: 200, data: { ok: true } });
      break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return {
    child,
    base,
    output: () => output,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
  };
}

async function post(url: string, body: unknown): Promise<{ status: number; body: Record<string, unknown> }> {
  const res = await fetch(url, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, unknown> };
}

const dirs: string[] = [];
function freshDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-start-'));
  dirs.push(dir);
  return dir;
}
after(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe('tessera serve, first start', { concurrency: true }, () => {
  test('with TESSERA_ADMIN_EMAIL/PASSWORD: the Account Admin signs in as soon as /health is 200', async () => {
    const server = await serve(freshDir(), {
      TESSERA_ADMIN_EMAIL: 'owner@example.com',
      TESSERA_ADMIN_PASSWORD: 'owners-password',
    });
    try {
      const login = await post(`${server.base}/auth/login`, {
        email: 'owner@example.com',
        password: 'owners-password',
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      assert.ok(!server.output().includes('owners-password'), 'the password is not printed');
    } finally {
      assert.equal(await server.stop(), 0, 'stops cleanly on SIGTERM');
    }
  });

  test('without them: a one-time setup link creates the Account Admin, and only once', async () => {
    const server = await serve(freshDir(), {});
    try {
      const link = /https?:\/\/\S+[?&]token=([A-Za-z0-9_-]+)/.exec(server.output());
      assert.ok(link, `a setup link is printed: ${server.output()}`);
      const token = link[1];
      const setup = await post(`${server.base}/setup`, {
        token,
        email: 'first@example.com',
        password: 'first-persons-password',
      });
      assert.equal(setup.status, 201, JSON.stringify(setup.body));
      const again = await post(`${server.base}/setup`, {
        token,
        email: 'second@example.com',
        password: 'second-persons-password',
      });
      assert.equal(again.status, 400);
      assert.equal(again.body.field, 'body.token');
      const login = await post(`${server.base}/auth/login`, {
        email: 'first@example.com',
        password: 'first-persons-password',
      });
      assert.equal(login.status, 200, JSON.stringify(login.body));
      const intruder = await post(`${server.base}/auth/login`, {
        email: 'second@example.com',
        password: 'second-persons-password',
      });
      assert.equal(intruder.status, 401);
    } finally {
      assert.equal(await server.stop(), 0);
    }
  });
});

const pgAvailable = await postgresAvailable();
if (!pgAvailable) console.log('# PostgreSQL is not reachable: the wait-for-the-store start test is skipped');

describe('a store that comes up after the server', { skip: !pgAvailable }, () => {
  test('the port answers 503 starting at once, then 200 once the store is reachable', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-wait-'));
    const schema = await createSchema();
    const storePort = await freePort();
    const pgTarget = new URL(postgresUrl);
    const url = new URL(postgresUrl);
    url.port = String(storePort); // nothing listens there yet: the database is "still starting"
    const server = await launch({
      database: url.toString(),
      cwd: dir,
      env: { HOME: dir, TESSERA_DATABASE_SCHEMA: schema },
    });
    // The database "comes up": a proxy to the real one opens on the port the server was given.
    const proxy = createNetServer((client) => {
      const upstream = connect(Number(pgTarget.port || 5432), pgTarget.hostname);
      client.pipe(upstream).pipe(client);
      client.on('error', () => upstream.destroy());
      upstream.on('error', () => client.destroy());
    });
    try {
      const starting = await server.untilHealth(503, 30_000);
      assert.equal(starting.headers.get('retry-after'), '1');
      assert.equal(((await starting.json()) as { code: string }).code, 'starting');
      await new Promise((resolve) => setTimeout(resolve, 600));
      assert.equal(server.child.exitCode, null, `it waits rather than exits: ${server.output()}`);
      assert.match(server.output(), /store not reachable yet/);
      await new Promise<void>((resolve) => proxy.listen(storePort, '127.0.0.1', resolve));
      const ready = await server.untilHealth(200, 30_000);
      assert.deepEqual(await ready.json(), { status: 200, data: { ok: true } });
      const login = await post(`${server.base}/auth/login`, SERVER_ADMIN);
      assert.equal(login.status, 200, JSON.stringify(login.body));
    } finally {
      await server.kill();
      proxy.close();
      await dropSchema(schema);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('one server per SQLite file', () => {
  test('a second server on the file refuses to start; after the first is killed, one starts again', async () => {
    const dir = freshDir();
    const database = `sqlite:${join(dir, 'data', 'shared.db')}`;
    const first = await launch({ database, cwd: dir, env: { HOME: dir } });
    try {
      await first.untilHealth(200, 60_000);
      const second = await launch({ database, cwd: dir, env: { HOME: dir } });
      const exit = await Promise.race([
        once(second.child, 'exit').then(([code]) => code as number | null),
        new Promise<string>((resolve) => setTimeout(() => resolve('still running after 30 s'), 30_000)),
      ]);
      await second.kill();
      assert.equal(exit, 1, second.output());
      assert.match(second.output(), /Another Tessera server is already serving .*shared\.db/);
      // Killed outright: nothing released the lock but the operating system.
      await first.kill('SIGKILL');
      const third = await launch({ database, cwd: dir, env: { HOME: dir } });
      try {
        await third.untilHealth(200, 60_000);
      } finally {
        await third.kill();
      }
    } finally {
      await first.kill();
    }
  });
});
