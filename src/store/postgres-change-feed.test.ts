/**
 * The change feeds: a change announced from inside a transaction is heard only once it commits
 * (never when it rolls back), by this server right after the commit and by other servers on the
 * same PostgreSQL database through NOTIFY; a lost LISTEN connection makes the feed not live and
 * resyncs caches when lost and when back. The PostgreSQL tests skip without PostgreSQL unless
 * TESSERA_REQUIRE_POSTGRES=1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import pg from 'pg';
import { startPostgresProxy } from '../../test/helpers/pg-proxy.js';
import { createSchema, dropSchema, postgresAvailable, postgresUrl } from '../../test/helpers/store.js';
import { type Change, createLocalChangeFeed } from './changes.js';
import { openStore, type Store } from './connect.js';
import { createPostgresChangeFeed, envelopes, type PostgresChangeFeed } from './postgres-change-feed.js';

const key = (n: number): Change => ({
  type: 'api-key',
  accountId: 'acc-1',
  keyId: `k-${n}`,
  secretHash: `h${n}`,
});

/** Resolves once `check` holds; fails after `ms`. */
async function eventually(check: () => boolean, what: string, ms = 2000): Promise<void> {
  const started = Date.now();
  while (!check()) {
    if (Date.now() - started > ms) assert.fail(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test('envelopes keep every change, in order, each under the NOTIFY payload limit', () => {
  const changes = Array.from({ length: 300 }, (_, i) => key(i));
  const payloads = envelopes('server', changes);
  assert.ok(payloads.length > 1, 'several envelopes for 300 changes');
  for (const payload of payloads) assert.ok(payload.length < 8000, `payload of ${payload.length} bytes`);
  const back = payloads.flatMap((p) => (JSON.parse(p) as { changes: Change[] }).changes);
  assert.deepEqual(back, changes);
});

describe('the local feed', () => {
  test('announces what a transaction published after it commits, and nothing when it rolls back', async () => {
    const store = openStore({ url: 'sqlite::memory:' });
    try {
      const feed = createLocalChangeFeed();
      const heard: Change[] = [];
      feed.subscribe((change) => heard.push(change));
      await feed.transaction(store.db, async (_trx, publish) => {
        publish(key(1));
        assert.deepEqual(heard, [], 'not before the commit');
      });
      assert.deepEqual(heard, [key(1)]);
      await assert.rejects(
        feed.transaction(store.db, async (_trx, publish) => {
          publish(key(2));
          throw new Error('rolled back');
        }),
      );
      assert.deepEqual(heard, [key(1)], 'a rolled-back change is not announced');
      assert.equal(feed.isLive(), true);
    } finally {
      await store.close();
    }
  });
});

const available = await postgresAvailable();
if (!available) console.log('# PostgreSQL is not reachable: the PostgreSQL change feed tests are skipped');

describe('the PostgreSQL feed', { skip: !available }, () => {
  let schema: string;
  let store: Store;
  const feeds: PostgresChangeFeed[] = [];

  async function feed(
    applicationName?: string,
    url = postgresUrl,
  ): Promise<{ feed: PostgresChangeFeed; heard: Change[] }> {
    const created = createPostgresChangeFeed({
      url,
      schema,
      reconnectDelayMs: 50,
      applicationName,
    });
    feeds.push(created);
    await created.ready;
    const heard: Change[] = [];
    created.subscribe((change) => heard.push(change));
    return { feed: created, heard };
  }

  before(async () => {
    schema = await createSchema();
    store = openStore({ url: postgresUrl, schema, poolSize: 2 });
  });
  after(async () => {
    for (const f of feeds) await f.close();
    await store?.close();
    if (schema) await dropSchema(schema);
  });

  test('another server hears a change at commit, not before, and never a rolled-back one', async () => {
    const a = await feed();
    const b = await feed();
    let commit: () => void = () => {};
    const held = new Promise<void>((resolve) => {
      commit = resolve;
    });
    const done = a.feed.transaction(store.db, async (_trx, publish) => {
      publish(key(1));
      publish(key(2));
      await held;
    });
    await new Promise((resolve) => setTimeout(resolve, 100));
    assert.deepEqual(b.heard, [], 'B hears nothing while the transaction is open');
    assert.deepEqual(a.heard, [], 'nor does A');
    commit();
    await done;
    assert.deepEqual(a.heard, [key(1), key(2)], 'A hears it right after the commit');
    await eventually(() => b.heard.length === 2, 'B hears the committed changes');
    assert.deepEqual(b.heard, [key(1), key(2)]);

    await assert.rejects(
      a.feed.transaction(store.db, async (_trx, publish) => {
        publish(key(3));
        throw new Error('rolled back');
      }),
    );
    await a.feed.transaction(store.db, async (_trx, publish) => publish(key(4)));
    await eventually(() => b.heard.length === 3, 'B hears the next committed change');
    assert.deepEqual(b.heard, [key(1), key(2), key(4)], 'the rolled-back change never arrived');
    assert.deepEqual(a.heard, [key(1), key(2), key(4)]);
  });

  test('a lost LISTEN connection: not live, caches resync when it is lost and again once it is back', async () => {
    const { feed: f, heard } = await feed();
    assert.equal(f.isLive(), true);
    const admin = new pg.Client({ connectionString: postgresUrl });
    await admin.connect();
    try {
      const channel = `tessera_changes_${schema}`;
      const { rowCount } = await admin.query(
        `select pg_terminate_backend(pid) from pg_stat_activity
          where pid in (select pid from pg_stat_activity where query = $1)`,
        [`LISTEN "${channel}"`],
      );
      assert.ok((rowCount ?? 0) >= 1, 'the listening connection was found');
    } finally {
      await admin.end();
    }
    await eventually(() => heard.some((c) => c.type === 'resync'), 'resync when lost');
    await eventually(
      () => f.isLive() && heard.filter((c) => c.type === 'resync').length >= 2,
      'back and resynced',
    );
    const other = await feed();
    await other.feed.transaction(store.db, async (_trx, publish) => publish(key(9)));
    await eventually(
      () => heard.some((c) => c.type === 'api-key' && c.keyId === 'k-9'),
      'hears changes again',
    );
  });

  test('a listening connection gone silent: not live within the beat window, resynced once it speaks again', async () => {
    const name = `feed-test-${process.pid}-${schema}`;
    // Silenced at a proxy, not by stopping its backend: a stopped backend can hold the
    // database's notification lock and stall every NOTIFY on it.
    const proxy = await startPostgresProxy(postgresUrl);
    const { feed: f, heard } = await feed(name, proxy.url);
    try {
      assert.equal(f.isLive(), true);
      const stoppedAt = performance.now();
      // The connection stays open but carries nothing: only the feed's own beats can tell.
      assert.equal(proxy.freeze(name), 1, 'the listening connection was found by its name');
      let silentFor: number;
      try {
        await eventually(() => !f.isLive(), 'not live once its beats stop coming back', 1000);
        silentFor = performance.now() - stoppedAt;
      } finally {
        proxy.thaw();
      }
      console.log(`# a silent listening connection made the feed not live after ${silentFor.toFixed(0)} ms`);
      const resyncs = heard.filter((c) => c.type === 'resync').length;
      await eventually(() => f.isLive(), 'live again once its beats come back');
      assert.equal(
        heard.filter((c) => c.type === 'resync').length,
        resyncs + 1,
        'caches resynced when it came back',
      );
    } finally {
      // Before the proxy goes, or the feed would reconnect to it.
      await f.close();
      await proxy.close();
    }
  });
});
