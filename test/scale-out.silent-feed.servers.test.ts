/**
 * Two real servers (`tessera serve` processes) on one PostgreSQL schema, one of which stops
 * hearing notifications without losing its connection (its LISTEN connection silenced at a TCP
 * proxy between B and the database, as a silent partition would): a key deleted on A is still
 * refused by B within a second, because B stops answering from its caches as soon as its own
 * beats stop coming back. Judged over 20 deletions by when each request was sent: none sent a second or more after
 * the deletion is accepted (worst and median printed, and when the first refusal came back).
 * PostgreSQL only.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { type PostgresProxy, startPostgresProxy } from './helpers/pg-proxy.js';
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
import { createSchema, dropSchema, inPostgresSuite, postgresUrl } from './helpers/store.js';

const onPostgres = await inPostgresSuite(
  'the silent notification connection test runs on PostgreSQL only (TESSERA_TEST_DATABASE=postgres)',
);

const TRIES = 20;
// How long a deleted key is polled on the frozen server before the try counts as failed.
const GIVE_UP_MS = 3000;

describe('a server whose notification connection goes silent', { skip: !onPostgres }, () => {
  let schema: string;
  let a: ServerProcess;
  let b: ServerProcess;
  let admin: SignedInSession & { accountId: string };
  let proxy: PostgresProxy;

  before(async () => {
    schema = await createSchema();
    const env = { TESSERA_DATABASE_SCHEMA: schema };
    proxy = await startPostgresProxy(postgresUrl);
    a = await serve({ database: postgresUrl, env });
    // Only B goes through the proxy, so only B's connections can be silenced.
    b = await serve({ database: proxy.url, env });
    admin = await signIn(a.base);
    await prepareRuntime(a.base, admin, admin.accountId);
  });

  after(async () => {
    proxy?.thaw();
    await a?.kill();
    await b?.kill();
    await proxy?.close();
    if (schema) await dropSchema(schema);
  });

  /** Silences B's listening connection, found by the application_name the feed gives it. */
  function silenceListenerOfB(): void {
    const silenced = proxy.freeze(`tessera listen ${b.child.pid}`);
    assert.equal(silenced, 1, `B's listening connections silenced: ${silenced}`);
  }

  test(`still refuses a deleted key within a second (${TRIES} deletions)`, async () => {
    const { accountId } = admin;
    // Per try: when the last request B accepted was sent, and when its first refusal came back
    // (ms after the deletion's answer).
    const accepted: number[] = [];
    const refusals: number[] = [];
    for (let i = 0; i < TRIES; i++) {
      const { key, keyId } = await createKey(a.base, admin, accountId, `k${i}`);
      // B caches the key while its feed is live.
      for (let n = 0; n < 2; n++) {
        const used = await runtime(b.base, key, accountId, `s-${i}`, []);
        assert.equal(used.status, 200, `try ${i}: a key made on A works on B`);
      }
      silenceListenerOfB();
      try {
        const deleted = await call(a.base, 'DELETE', `/admin/${accountId}/api-keys/${keyId}?confirm=k${i}`, {
          session: admin,
        });
        assert.equal(deleted.status, 200);
        const deletedAt = performance.now();
        // Judged by when each request was sent: an answer accepted from B's cache in the window
        // may come back late (its durable write waits on a busy database), and that says nothing
        // about a request sent after it.
        let lastAccepted = Number.NEGATIVE_INFINITY;
        let refused = Number.POSITIVE_INFINITY;
        while (performance.now() - deletedAt < GIVE_UP_MS) {
          const sentAt = performance.now() - deletedAt;
          const answer = await runtime(b.base, key, accountId, `s-${i}`, []);
          if (answer.status === 200) {
            lastAccepted = sentAt;
            continue;
          }
          assert.equal(answer.status, 403, JSON.stringify(answer.body));
          assert.equal(answer.body.code, 'key_deleted');
          refused = performance.now() - deletedAt;
          break;
        }
        accepted.push(lastAccepted);
        refusals.push(refused);
      } finally {
        proxy.thaw();
      }
      // Let B hear its beats again (and cache afresh) before the next try.
      await new Promise((resolve) => setTimeout(resolve, 300));
    }
    const summary = (values: number[]) => {
      const sorted = [...values].sort((x, y) => x - y);
      return { median: sorted[sorted.length >> 1], worst: sorted[sorted.length - 1] };
    };
    const ms = (value: number) => (Number.isFinite(value) ? `${value.toFixed(1)} ms` : 'none');
    const sent = summary(accepted);
    const answered = summary(refusals);
    console.log(
      `# notification connection silenced, over ${TRIES} deletions: the last request B accepted was sent after median ${ms(sent.median)}, worst ${ms(sent.worst)}; the first refusal came back after median ${ms(answered.median)}, worst ${ms(answered.worst)}`,
    );
    assert.ok(
      answered.worst < GIVE_UP_MS,
      `B never refused the deleted key within ${GIVE_UP_MS} ms (refusals: ${refusals.map((d) => d.toFixed(0))})`,
    );
    assert.ok(
      sent.worst < 1000,
      `B accepted a deleted key in a request sent ${sent.worst.toFixed(0)} ms after the deletion`,
    );
  });
});
