import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import type { KyselyPlugin } from 'kysely';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { createDeployedSnapshots } from './deployed-snapshots.js';

let t: TestApp;
let acc: string;
let restId: string;
let queries = 0;

/** Counts every statement the cache sends to the store. */
const counting: KyselyPlugin = {
  transformQuery(args) {
    queries++;
    return args.node;
  },
  async transformResult(args) {
    return args.result;
  },
};

function cache(options: { maxTargets?: number } = {}) {
  return createDeployedSnapshots(t.services.store.db.withPlugin(counting), t.services.changes, options);
}

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  const targets = await t.services.deployTargets.list(acc);
  restId = targets.find((d) => d.kind === 'rest')?.id as string;
  await t.services.agents.put(acc, 'a-cached', { variations: [{ code: 'A' }] });
});
after(() => t.close());

test('a hit answers from memory without touching the store', async () => {
  const snapshots = cache();
  queries = 0;
  const first = await snapshots.get(acc, restId);
  assert.equal(queries, 1);
  assert.ok(first?.agents['a-cached']);
  for (let i = 0; i < 100; i++) assert.equal(await snapshots.get(acc, restId), first);
  assert.equal(queries, 1);
  assert.deepEqual(snapshots.stats().targets, 1);
  assert.ok(snapshots.stats().bytes > 50);
});

test('a deployment to the target evicts it; one to another target does not', async () => {
  const snapshots = cache();
  const manual = await t.services.deployTargets.create(acc, {
    name: 'Manual',
    kind: 'rest',
    deployMode: 'manual',
  });
  await t.services.deployments.deploy(acc, manual.id);
  const before = await snapshots.get(acc, restId);
  const manualBefore = await snapshots.get(acc, manual.id);
  queries = 0;
  await t.services.agents.put(acc, 'a-cached', { variations: [{ code: 'A' }, { code: 'B' }] });
  const afterChange = await snapshots.get(acc, restId);
  assert.equal(queries, 1, 'the automatic target was read again');
  assert.notEqual(afterChange?.version, before?.version);
  assert.equal(afterChange?.agents['a-cached']?.variations.length, 2);
  assert.equal(await snapshots.get(acc, manual.id), manualBefore, 'the manual target is still cached');
  assert.equal(queries, 1);
});

test('concurrent misses share one read', async () => {
  const snapshots = cache();
  queries = 0;
  const answers = await Promise.all(Array.from({ length: 20 }, () => snapshots.get(acc, restId)));
  assert.equal(queries, 1);
  assert.ok(answers.every((a) => a === answers[0]));
});

test('a read in flight when its target is deployed is answered but not kept', async () => {
  const snapshots = cache();
  queries = 0;
  const inFlight = snapshots.get(acc, restId);
  t.services.changes.publish({ type: 'deployment', accountId: acc, deployTargetId: restId, version: 999 });
  await inFlight;
  await snapshots.get(acc, restId);
  assert.equal(queries, 2, 'the second get read the store again');
  await snapshots.get(acc, restId);
  assert.equal(queries, 2);
});

test('resync drops everything', async () => {
  const snapshots = cache();
  await snapshots.get(acc, restId);
  queries = 0;
  t.services.changes.publish({ type: 'resync' });
  await snapshots.get(acc, restId);
  assert.equal(queries, 1);
});

test('nothing deployed, an unknown target and another account’s target all answer null', async () => {
  const snapshots = cache();
  const manual = await t.services.deployTargets.create(acc, {
    name: 'Never',
    kind: 'js',
    deployMode: 'manual',
  });
  assert.equal(await snapshots.get(acc, manual.id), null);
  assert.equal(await snapshots.get(acc, 'dt-unknown'), null);
  const other = await t.services.accounts.create('Other');
  assert.ok(await snapshots.get(other.id, (await t.services.deployTargets.list(other.id))[0].id));
  assert.equal(await snapshots.get(other.id, restId), null, 'a target is looked up within its account');
  await t.services.deployments.deploy(acc, manual.id);
  assert.ok(await snapshots.get(acc, manual.id), 'null is evicted by the first deployment');
});

test('snapshots are frozen: the runtime cannot change what other requests read', async () => {
  const snapshot = await cache().get(acc, restId);
  assert.ok(snapshot);
  assert.throws(() => {
    (snapshot.agents as Record<string, unknown>)['a-injected'] = {};
  }, TypeError);
  assert.throws(() => {
    snapshot.agents['a-cached'].variations[0].weight = 100;
  }, TypeError);
});

test('the cache is bounded', async () => {
  const snapshots = cache({ maxTargets: 2 });
  const targets = await Promise.all(
    [1, 2, 3].map((i) =>
      t.services.deployTargets.create(acc, { name: `T${i}`, kind: 'rest', deployMode: 'automatic' }),
    ),
  );
  for (const target of targets) await snapshots.get(acc, target.id);
  assert.equal(snapshots.stats().targets, 2);
});

test('while the feed is not live, every read goes to the store', async () => {
  let live = true;
  const changes = { ...t.services.changes, isLive: () => live };
  const snapshots = createDeployedSnapshots(t.services.store.db.withPlugin(counting), changes);
  await snapshots.get(acc, restId);
  queries = 0;
  await snapshots.get(acc, restId);
  assert.equal(queries, 0, 'cached while live');
  live = false;
  await snapshots.get(acc, restId);
  await snapshots.get(acc, restId);
  assert.equal(queries, 2, 'not live: nothing answered from memory');
});

test('peek answers what memory holds, without a read: nothing before a get, after an eviction or while the feed is not live', async () => {
  let live = true;
  const changes = { ...t.services.changes, isLive: () => live };
  const snapshots = createDeployedSnapshots(t.services.store.db.withPlugin(counting), changes);
  queries = 0;
  assert.equal(snapshots.peek(acc, restId), undefined, 'not read yet');
  const read = await snapshots.get(acc, restId);
  assert.equal(snapshots.peek(acc, restId), read);
  assert.equal(snapshots.peek(acc, 'dt-unknown'), undefined);
  assert.equal(queries, 1, 'peek itself reads nothing');
  live = false;
  assert.equal(
    snapshots.peek(acc, restId),
    undefined,
    'a feed that is not live may have missed a deployment',
  );
  live = true;
  await t.services.agents.put(acc, 'a-cached', { variations: [{ code: 'A' }, { code: 'C' }] });
  assert.equal(snapshots.peek(acc, restId), undefined, 'the deployment evicted it');
});
