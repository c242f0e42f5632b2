/**
 * Two servers on one PostgreSQL database: an agent changed (or a manual target deployed) through
 * server A is what server B's runtime reads within a second, although B had the old snapshot
 * cached. Skips without PostgreSQL unless TESSERA_REQUIRE_POSTGRES=1.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createSchema, dropSchema, postgresAvailable, postgresUrl } from '../../test/helpers/store.js';
import { createServices, type Services } from '../app/services.js';
import { openStore } from '../store/connect.js';
import { migrateToLatest } from '../store/migrate.js';
import { createPostgresChangeFeed, type PostgresChangeFeed } from '../store/postgres-change-feed.js';

const available = await postgresAvailable();
if (!available) console.log('# PostgreSQL is not reachable: the deployment scale-out tests are skipped');

let schema: string;
const servers: { services: Services; feed: PostgresChangeFeed }[] = [];

async function startServer(): Promise<Services> {
  const store = openStore({ url: postgresUrl, schema, poolSize: 3 });
  await migrateToLatest(store);
  const feed = createPostgresChangeFeed({ url: postgresUrl, schema });
  await feed.ready;
  const services = createServices(store, { changes: feed });
  servers.push({ services, feed });
  return services;
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

/** How long until `check` holds, polling without sleeping; fails after a second. */
async function within1s(check: () => Promise<boolean>, what: string): Promise<number> {
  const started = performance.now();
  while (performance.now() - started < 1000) {
    if (await check()) return performance.now() - started;
    await new Promise((resolve) => setImmediate(resolve));
  }
  assert.fail(`${what}: not seen by server B after 1 s`);
}

test('a change and a manual deployment on server A reach server B within a second', {
  skip: !available,
}, async () => {
  const a = await startServer();
  const b = await startServer();
  const account = await a.accounts.create('Scale-out deployments');
  const [automatic] = await a.deployTargets.list(account.id);
  const manual = await a.deployTargets.create(account.id, {
    name: 'Prod',
    kind: 'rest',
    deployMode: 'manual',
  });
  const delays: number[] = [];
  for (let i = 0; i < 10; i++) {
    await b.snapshots.get(account.id, automatic.id); // cached on B
    await b.snapshots.get(account.id, manual.id);
    const { agent } = await a.agents.put(account.id, 'a-moving', {
      variations: [{ code: 'A', meta: { round: String(i) } }],
    });
    assert.equal(agent.variations[0].meta.round, String(i));
    delays.push(
      await within1s(
        async () =>
          (await b.snapshots.get(account.id, automatic.id))?.agents['a-moving']?.variations[0].meta.round ===
          String(i),
        `change ${i}`,
      ),
    );
    const deployed = await a.deployments.deploy(account.id, manual.id);
    delays.push(
      await within1s(
        async () => (await b.snapshots.get(account.id, manual.id))?.version === deployed.version,
        `deployment ${i}`,
      ),
    );
    const target = await b.deployTargets.resolve(account.id, manual.id);
    assert.equal(target?.deployedVersion, deployed.version, "B's cached target record shows the new version");
  }
  delays.sort((x, y) => x - y);
  console.log(
    `# deployments reached server B: median ${delays[delays.length >> 1].toFixed(1)} ms, worst ${delays[delays.length - 1].toFixed(1)} ms`,
  );
});
