/**
 * Two real servers (`tessera serve` processes) on one PostgreSQL schema, one of which stops
 * hearing notifications without losing its connection (its LISTEN backend frozen with SIGSTOP, as
 * a stalled database host or a silent partition would): a key deleted on A is still refused by B
 * within a second, because B stops answering from its caches as soon as its own beats stop coming
 * back. Measured over 20 deletions (worst and median printed). PostgreSQL only: it needs the
 * database on this host, to signal the backend.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import {
  call,
  createKey,
  prepareRuntime,
  runtime,
  type ServerProcess,
  type SignedInSession,
  serve,
  signIn,
} from './helpers/servers.js';
import { createSchema, dropSchema, postgresAvailable, postgresUrl, testDialect } from './helpers/store.js';

const onPostgres = testDialect === 'postgres' && (await postgresAvailable());
if (!onPostgres) {
  console.log(
    '# the silent notification connection test runs on PostgreSQL only (TESSERA_TEST_DATABASE=postgres)',
  );
}

const TRIES = 20;
// How long a deleted key is polled on the frozen server before the try counts as failed.
const GIVE_UP_MS = 3000;

describe('a server whose notification connection goes silent', { skip: !onPostgres }, () => {
  let schema: string;
  let a: ServerProcess;
  let b: ServerProcess;
  let admin: SignedInSession & { accountId: string };
  let database: pg.Client;

  before(async () => {
    schema = await createSchema();
    const env = { TESSERA_DATABASE_SCHEMA: schema };
    a = await serve({ database: postgresUrl, env });
    b = await serve({ database: postgresUrl, env });
    admin = await signIn(a.base);
    await prepareRuntime(a.base, admin, admin.accountId);
    database = new pg.Client({ connectionString: postgresUrl });
    await database.connect();
  });

  after(async () => {
    await database?.end();
    await a?.kill();
    await b?.kill();
    if (schema) await dropSchema(schema);
  });

  /** B's listening backend, by the application_name the feed gives it. */
  async function listenerOfB(): Promise<number> {
    const { rows } = await database.query<{ pid: number }>(
      'select pid from pg_stat_activity where application_name = $1',
      [`tessera listen ${b.child.pid}`],
    );
    assert.equal(rows.length, 1, `B's listening connection: ${JSON.stringify(rows)}`);
    return rows[0].pid;
  }

  test(`still refuses a deleted key within a second (${TRIES} deletions)`, async () => {
    const { accountId } = admin;
    const delays: number[] = [];
    for (let i = 0; i < TRIES; i++) {
      const { key, keyId } = await createKey(a.base, admin, accountId, `k${i}`);
      // B caches the key while its feed is live.
      for (let n = 0; n < 2; n++) {
        const used = await runtime(b.base, key, accountId, `s-${i}`, []);
        assert.equal(used.status, 200, `try ${i}: a key made on A works on B`);
      }
      const backend = await listenerOfB();
      process.kill(backend, 'SIGSTOP');
      try {
        const deleted = await call(a.base, 'DELETE', `/admin/${accountId}/api-keys/${keyId}?confirm=k${i}`, {
          session: admin,
        });
        assert.equal(deleted.status, 200);
        const deletedAt = performance.now();
        let delay = Number.POSITIVE_INFINITY;
        while (performance.now() - deletedAt < GIVE_UP_MS) {
          const answer = await runtime(b.base, key, accountId, `s-${i}`, []);
          if (answer.status !== 200) {
            assert.equal(answer.status, 403, JSON.stringify(answer.body));
            assert.equal(answer.body.code, 'key_deleted');
            delay = performance.now() - deletedAt;
            break;
          }
        }
        delays.push(delay);
      } finally {
        process.kill(backend, 'SIGCONT');
      }
      // Let B hear its beats again (and cache afresh) before the next try.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const sorted = [...delays].sort((x, y) => x - y);
    const median = sorted[sorted.length >> 1];
    const worst = sorted[sorted.length - 1];
    console.log(
      `# notification connection frozen: B refused the deleted key after median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms over ${TRIES} deletions`,
    );
    assert.ok(worst < 1000, `worst ${worst} ms: B accepted a deleted key for a second or more`);
  });
});
