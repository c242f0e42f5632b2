/**
 * Two servers on one PostgreSQL database: a key deleted on one is refused by the other within a
 * second (the change travels by LISTEN/NOTIFY, not by polling). Skips without PostgreSQL unless
 * TESSERA_REQUIRE_POSTGRES=1. And on any store: while a server's feed may be missing changes, its
 * caches keep nothing, so what another server changed holds on the next request.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createServices, type Services } from '../src/app/services.js';
import { type ChangeFeed, createLocalChangeFeed } from '../src/store/changes.js';
import { openStore } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { createPostgresChangeFeed, type PostgresChangeFeed } from '../src/store/postgres-change-feed.js';
import {
  createSchema,
  createTestStore,
  dropSchema,
  postgresAvailable,
  postgresUrl,
} from './helpers/store.js';

const available = await postgresAvailable();
if (!available) console.log('# PostgreSQL is not reachable: the scale-out tests are skipped');

let schema: string;
const servers: { services: Services; feed: PostgresChangeFeed }[] = [];

async function startServer(): Promise<{ services: Services; feed: PostgresChangeFeed }> {
  const store = openStore({ url: postgresUrl, schema, poolSize: 3 });
  await migrateToLatest(store);
  const feed = createPostgresChangeFeed({ url: postgresUrl, schema });
  await feed.ready;
  const server = { services: createServices(store, { changes: feed }), feed };
  servers.push(server);
  return server;
}

before(async () => {
  if (!available) return;
  schema = await createSchema();
});

after(async () => {
  for (const { services, feed } of servers) {
    await feed.close();
    await services.close();
  }
  if (schema) await dropSchema(schema);
});

test('a key deleted on server A is refused by server B within a second', { skip: !available }, async () => {
  const a = await startServer();
  const b = await startServer();
  const account = await a.services.accounts.create('Scale-out');
  const delays: number[] = [];
  for (let i = 0; i < 20; i++) {
    const { key, secret } = await a.services.keys.createKey(
      account.id,
      { kind: 'rest', name: `k${i}` },
      'test',
    );
    const first = await b.services.keyVerifier.verify(secret);
    assert.equal(first.ok, true, 'a key created on A works on B');
    const deletedAt = performance.now();
    await a.services.keys.deleteKey(account.id, key.id, 'test');
    let delay = Number.POSITIVE_INFINITY;
    while (performance.now() - deletedAt < 1000) {
      const v = await b.services.keyVerifier.verify(secret);
      if (!v.ok) {
        assert.equal(v.code, 'key_deleted');
        delay = performance.now() - deletedAt;
        break;
      }
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(delay < 1000, `try ${i}: B still accepted the deleted key after 1 s`);
    delays.push(delay);
  }
  delays.sort((x, y) => x - y);
  const median = delays[Math.floor(delays.length / 2)];
  const worst = delays[delays.length - 1];
  console.log(
    `# key deletion reached server B: median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms over 20 tries`,
  );
  // The target is a median under 100 ms on an idle machine (the figure printed above); the test
  // runs beside other test files (and the servers they start) on two cores, so it only guards
  // against a feed that polls; the 1 s worst case is checked on every try.
  assert.ok(median < 400, `median ${median} ms`);
});

test('while the feed may miss changes, no cache keeps what it reads: a key deleted meanwhile is refused at once', async () => {
  const { store, dispose } = await createTestStore();
  // The local feed standing for a shared one whose LISTEN connection is down: it hears nothing.
  const local = createLocalChangeFeed();
  let live = true;
  const feed: ChangeFeed = { ...local, isLive: () => live };
  const writer = createServices(store);
  const reader = createServices(store, { changes: feed });
  try {
    const account = await writer.accounts.create('Not live');
    const [target] = await writer.deployTargets.list(account.id);
    const { key, secret } = await writer.keys.createKey(account.id, { kind: 'rest', name: 'k' }, 'test');
    live = false;
    assert.equal((await reader.keyVerifier.verify(secret)).ok, true);
    assert.equal((await reader.deployTargets.resolve(account.id, target.id))?.deployedVersion, 0);
    assert.equal((await reader.snapshots.get(account.id, target.id))?.version, 0);
    // Changed by another server; this one hears nothing of it.
    await writer.keys.deleteKey(account.id, key.id, 'test');
    await writer.agents.put(account.id, 'a-new', { variations: [{ code: 'A' }] });
    const refused = await reader.keyVerifier.verify(secret);
    assert.equal(refused.ok, false, 'the deleted key is refused on the next request');
    assert.equal((await reader.deployTargets.resolve(account.id, target.id))?.deployedVersion, 1);
    assert.equal((await reader.snapshots.get(account.id, target.id))?.version, 1);
  } finally {
    await writer.events.close();
    await reader.events.close();
    await dispose();
  }
});
