/**
 * PostgreSQL restarted under load. Two real servers share a PostgreSQL instance of this test's
 * own (never the shared one); while clients keep sending runtime requests to both, the database
 * is stopped and started again. While it is down both servers answer 503 with Retry-After (no 500,
 * no hang); a key deleted right after it came back is never answered 200 again by either server
 * (although both had it cached before the restart); once it is back both servers reconnect,
 * re-sync and answer 200 again. Skips without the PostgreSQL server binaries unless
 * TESSERA_REQUIRE_POSTGRES=1.
 */
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import {
  type PrivatePostgres,
  privatePostgresAvailable,
  startPrivatePostgres,
} from './helpers/private-postgres.js';
import {
  call,
  createKey,
  prepareRuntime,
  runtime,
  type ServerProcess,
  serve,
  signIn,
} from './helpers/servers.js';
import { testDialect } from './helpers/store.js';

// A PostgreSQL of its own whatever the suite's store: run once, in the PostgreSQL suite
// (TESSERA_TEST_DATABASE=postgres, as CI runs it), not again in the SQLite one.
const inPostgresSuite = testDialect === 'postgres';
const available = inPostgresSuite && privatePostgresAvailable();
if (!inPostgresSuite)
  console.log('# The restart test runs in the PostgreSQL suite (TESSERA_TEST_DATABASE=postgres)');
else if (!available) console.log('# No PostgreSQL server binaries: the restart test is skipped');

interface Sent {
  server: 'A' | 'B';
  key: 'live' | 'doomed';
  startedAt: number;
  endedAt: number;
  status: number | 'network-error';
  code?: string;
  retryAfter: string | null;
}

let database: PrivatePostgres | undefined;
const servers: ServerProcess[] = [];
after(async () => {
  for (const server of servers) await server.kill('SIGKILL');
  await database?.dispose();
});

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

test('PostgreSQL restarted under load: 503 with Retry-After while down, no wrong 200, then both servers carry on', {
  skip: !available,
}, async () => {
  const db = await startPrivatePostgres();
  database = db;
  const a = await serve({ database: db.url });
  servers.push(a);
  const b = await serve({ database: db.url });
  servers.push(b);
  const admin = await signIn(a.base);
  const { accountId } = admin;
  const live = await prepareRuntime(a.base, admin, accountId);
  const doomed = await createKey(a.base, admin, accountId, 'doomed');

  const log: Sent[] = [];
  let running = true;
  let n = 0;
  async function client(server: ServerProcess, name: 'A' | 'B', which: 'live' | 'doomed'): Promise<void> {
    const key = which === 'live' ? live.key : doomed.key;
    while (running) {
      const startedAt = performance.now();
      const session = `${name}-${which}-${n++}`;
      try {
        const answer = await runtime(server.base, key, accountId, session, [{ a: 'a-exp' }, { g: 'g-buy' }]);
        log.push({
          server: name,
          key: which,
          startedAt,
          endedAt: performance.now(),
          status: answer.status,
          code: answer.body.code,
          retryAfter: answer.headers.get('retry-after'),
        });
      } catch {
        log.push({
          server: name,
          key: which,
          startedAt,
          endedAt: performance.now(),
          status: 'network-error',
          retryAfter: null,
        });
      }
      // a steady load, not a flood: the servers must also answer the test's own requests
      await sleep(5);
    }
  }
  const clients = Promise.all([
    client(a, 'A', 'live'),
    client(b, 'B', 'live'),
    client(a, 'A', 'doomed'),
    client(b, 'B', 'doomed'),
  ]);

  try {
    await exercise();
  } catch (error) {
    running = false;
    await clients;
    console.log(`# server A said:\n${a.output().slice(-3000)}\n# server B said:\n${b.output().slice(-3000)}`);
    throw error;
  }

  async function exercise(): Promise<void> {
    await sleep(1000);
    assert.ok(
      log.some((s) => s.server === 'B' && s.key === 'doomed' && s.status === 200),
      'B answered (and cached) the doomed key before the restart',
    );
    await db.stop('fast');
    // pg_ctl returns once the database has shut down: from here on nothing can be recorded.
    const stoppedAt = performance.now();
    await sleep(1500);
    const health = await call(b.base, 'GET', '/health');
    assert.equal(health.status, 503, '/health says the store is down');
    const downUntil = performance.now();
    await db.start();
    const startedAt = performance.now();

    // As soon as A can write again, delete the key both servers had cached.
    let deletedAt = 0;
    while (deletedAt === 0) {
      const deleted = await call(
        a.base,
        'DELETE',
        `/admin/${accountId}/api-keys/${doomed.keyId}?confirm=doomed`,
        {
          session: admin,
        },
      );
      if (deleted.status === 200) deletedAt = performance.now();
      else {
        assert.equal(deleted.status, 503, JSON.stringify(deleted.body));
        assert.ok(performance.now() - startedAt < 15_000, 'A could not write 15 s after the restart');
        await sleep(20);
      }
    }
    await sleep(3000);
    running = false;
    await clients;

    const statuses = new Map<string, number>();
    for (const s of log) statuses.set(String(s.status), (statuses.get(String(s.status)) ?? 0) + 1);
    console.log(
      `# restart: ${log.length} requests, by status ${JSON.stringify(Object.fromEntries(statuses))}; A wrote again ${(deletedAt - startedAt).toFixed(0)} ms after the database was back`,
    );

    for (const s of log) {
      assert.notEqual(s.status, 'network-error', `${s.server} dropped a connection`);
      assert.ok(
        s.status === 200 || s.status === 503 || (s.status === 403 && s.code === 'key_deleted'),
        `${s.server}: unexpected ${s.status} ${s.code}`,
      );
      if (s.status === 503) assert.equal(s.retryAfter, '1', 'every 503 says when to retry');
      if (s.key === 'doomed' && s.startedAt > deletedAt) {
        assert.notEqual(s.status, 200, `${s.server} answered 200 for a key deleted before the request`);
      }
    }
    const whileDown = log.filter((s) => s.startedAt > stoppedAt + 200 && s.endedAt < downUntil);
    assert.ok(whileDown.length > 10, 'requests were sent while the database was down');
    assert.ok(
      whileDown.every((s) => s.status === 503),
      'nothing but 503 while the database is down',
    );
    for (const name of ['A', 'B'] as const) {
      const tail = log.filter((s) => s.server === name && s.startedAt > deletedAt + 1500);
      assert.ok(tail.length > 5, `${name} kept being asked`);
      for (const s of tail) {
        assert.equal(
          s.status,
          s.key === 'live' ? 200 : 403,
          `${name} carries on after the restart (${s.key})`,
        );
      }
    }
  }
});
