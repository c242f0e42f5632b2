import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import type { Change } from '../store/changes.js';

let t: TestApp;
let acc: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
});
after(() => t.close());

const agent = (variations = ['A', 'B']) => ({ variations: variations.map((code) => ({ code })) });

async function targetsByKind() {
  const targets = await t.services.deployTargets.list(acc);
  const rest = targets.find((d) => d.kind === 'rest' && d.isDefault);
  const js = targets.find((d) => d.kind === 'js');
  assert.ok(rest && js);
  return { rest, js };
}

function recordChanges(): { changes: Change[]; stop: () => void } {
  const changes: Change[] = [];
  const stop = t.services.changes.subscribe((c) => changes.push(c));
  return { changes, stop };
}

test("a new account's two automatic targets serve its (empty) configuration from the start", async () => {
  const { rest, js } = await targetsByKind();
  assert.equal(rest.deployedVersion, 0);
  assert.equal(js.deployedVersion, 0);
  assert.ok(rest.deployedAt !== null && rest.deployedAt <= Date.now());
  assert.deepEqual(await t.services.snapshots.get(acc, rest.id), { version: 0, agents: {}, goals: {} });
});

test('every change is deployed to the automatic targets in its transaction, and announced', async () => {
  const before = await t.services.deployments.configurationVersion(acc);
  const { changes, stop } = recordChanges();
  await t.services.goals.put(acc, 'g-auto', { name: 'Auto', value: 3 });
  await t.services.agents.put(acc, 'a-auto', { ...agent(), goals: ['g-auto'] });
  stop();
  const version = await t.services.deployments.configurationVersion(acc);
  assert.equal(version, before + 2);
  const { rest, js } = await targetsByKind();
  assert.equal(rest.deployedVersion, version);
  assert.equal(js.deployedVersion, version);
  const snapshot = await t.services.snapshots.get(acc, rest.id);
  assert.equal(snapshot?.version, version);
  assert.deepEqual(snapshot?.goals['g-auto'], { code: 'g-auto', name: 'Auto', value: 3 });
  assert.deepEqual(snapshot?.agents['a-auto'], {
    code: 'a-auto',
    name: 'a-auto',
    status: 'running',
    pausedAt: null,
    metaKeys: [],
    variations: [
      { code: 'A', weight: 1, meta: {} },
      { code: 'B', weight: 1, meta: {} },
    ],
    conditions: [],
    goals: ['g-auto'],
  });
  // Both targets share one parsed snapshot.
  assert.equal(await t.services.snapshots.get(acc, js.id), snapshot);
  const deployments = changes.filter((c) => c.type === 'deployment');
  assert.deepEqual(
    deployments.map((c) => c.type === 'deployment' && [c.deployTargetId, c.version]).slice(-2),
    [rest.id, js.id].sort().map((id) => [id, version]),
  );
  for (const id of [rest.id, js.id]) {
    assert.ok(changes.some((c) => c.type === 'deploy-target' && c.deployTargetId === id));
  }
});

test('staging runs ahead of production: a manual target keeps its snapshot until deployed', async () => {
  const production = await t.services.deployTargets.create(acc, {
    name: 'Production (manual)',
    kind: 'rest',
    deployMode: 'manual',
  });
  assert.equal(production.deployedVersion, null, 'a new manual target serves nothing');
  assert.equal(await t.services.snapshots.get(acc, production.id), null);

  await t.services.agents.put(acc, 'a-stage', agent(['A']));
  assert.equal(await t.services.snapshots.get(acc, production.id), null, 'changes do not reach it');

  const first = await t.services.deployments.deploy(acc, production.id);
  const v1 = await t.services.deployments.configurationVersion(acc);
  assert.equal(first.version, v1);
  const deployed = await t.services.snapshots.get(acc, production.id);
  assert.equal(deployed?.version, v1);
  assert.deepEqual(
    deployed?.agents['a-stage']?.variations.map((v) => v.code),
    ['A'],
  );

  await t.services.agents.put(acc, 'a-stage', agent(['A', 'B']));
  await t.services.agents.put(acc, 'a-new', agent());
  const { rest } = await targetsByKind();
  const staging = await t.services.snapshots.get(acc, rest.id);
  assert.deepEqual(
    staging?.agents['a-stage']?.variations.map((v) => v.code),
    ['A', 'B'],
  );
  assert.ok(staging?.agents['a-new']);
  const stillOld = await t.services.snapshots.get(acc, production.id);
  assert.equal(stillOld?.version, v1, 'production still serves what it was deployed with');
  assert.equal(stillOld?.agents['a-new'], undefined);
  assert.equal((await t.services.deployTargets.get(acc, production.id)).deployedVersion, v1);

  const second = await t.services.deployments.deploy(acc, production.id);
  assert.equal(second.version, await t.services.deployments.configurationVersion(acc));
  assert.ok((await t.services.snapshots.get(acc, production.id))?.agents['a-new']);
});

test('deploying a target that already serves the current configuration changes nothing', async () => {
  const target = await t.services.deployTargets.create(acc, {
    name: 'Idle',
    kind: 'js',
    deployMode: 'manual',
  });
  const first = await t.services.deployments.deploy(acc, target.id);
  const { changes, stop } = recordChanges();
  const again = await t.services.deployments.deploy(acc, target.id);
  stop();
  assert.deepEqual(again, first);
  assert.deepEqual(changes, []);
});

test('deploying an unknown target, or one of another account, is not found', async () => {
  const other = await t.services.accounts.create('Other');
  const [otherTarget] = await t.services.deployTargets.list(other.id);
  await assert.rejects(t.services.deployments.deploy(acc, 'dt-nothere'), { code: 'deploy_target_not_found' });
  await assert.rejects(t.services.deployments.deploy(acc, otherTarget.id), {
    code: 'deploy_target_not_found',
  });
  assert.equal((await t.services.deployTargets.get(other.id, otherTarget.id)).deployedVersion, 0);
});

test('a new automatic target starts with the current configuration', async () => {
  await t.services.agents.put(acc, 'a-before-target', agent());
  const version = await t.services.deployments.configurationVersion(acc);
  const target = await t.services.deployTargets.create(acc, {
    name: 'Late',
    kind: 'rest',
    deployMode: 'automatic',
  });
  assert.equal(target.deployedVersion, version);
  assert.ok(target.deployedAt !== null);
  assert.equal((await t.services.deployTargets.get(acc, target.id)).deployedVersion, version);
  assert.ok((await t.services.snapshots.get(acc, target.id))?.agents['a-before-target']);
});

test('switching a manual target to automatic deploys the current configuration at once', async () => {
  const target = await t.services.deployTargets.create(acc, {
    name: 'Switch',
    kind: 'rest',
    deployMode: 'manual',
  });
  assert.equal(await t.services.snapshots.get(acc, target.id), null);
  const renamed = await t.services.deployTargets.update(acc, target.id, { name: 'Still manual' });
  assert.equal(renamed.deployedVersion, null, 'a rename deploys nothing');
  const switched = await t.services.deployTargets.update(acc, target.id, { deployMode: 'automatic' });
  const version = await t.services.deployments.configurationVersion(acc);
  assert.equal(switched.deployedVersion, version);
  assert.equal((await t.services.snapshots.get(acc, target.id))?.version, version);
  await t.services.deployTargets.update(acc, target.id, { deployMode: 'manual' });
  await t.services.agents.put(acc, 'a-after-switch', agent());
  assert.equal((await t.services.snapshots.get(acc, target.id))?.version, version, 'manual again: no more');
});

test('a deleted agent or goal disappears from the next snapshot', async () => {
  await t.services.goals.put(acc, 'g-gone', {});
  await t.services.agents.put(acc, 'a-gone', agent());
  const { rest } = await targetsByKind();
  const withThem = await t.services.snapshots.get(acc, rest.id);
  assert.ok(withThem?.agents['a-gone'] && withThem.goals['g-gone']);
  await t.services.agents.remove(acc, 'a-gone');
  await t.services.goals.remove(acc, 'g-gone');
  const without = await t.services.snapshots.get(acc, rest.id);
  assert.equal(without?.agents['a-gone'], undefined);
  assert.equal(without?.goals['g-gone'], undefined);
  assert.ok(withThem?.agents['a-gone'], 'the snapshot read before is immutable');
});

test('a refused change bumps nothing, deploys nothing and announces nothing', async () => {
  const version = await t.services.deployments.configurationVersion(acc);
  const { changes, stop } = recordChanges();
  await assert.rejects(t.services.agents.put(acc, 'a-refused', { ...agent(), goals: ['g-missing'] }), {
    field: 'goals.0',
  });
  await assert.rejects(t.services.agents.remove(acc, 'a-missing'), { code: 'agent_not_found' });
  stop();
  assert.equal(await t.services.deployments.configurationVersion(acc), version);
  assert.deepEqual(changes, []);
  await assert.rejects(t.services.agents.get(acc, 'a-refused'), { code: 'agent_not_found' });
});

test('only snapshots some target serves, and the current one, are kept', async () => {
  for (let i = 0; i < 5; i++) await t.services.agents.put(acc, 'a-churn', agent(i % 2 ? ['A'] : ['A', 'B']));
  const version = await t.services.deployments.configurationVersion(acc);
  const served = await t.services.store.db
    .selectFrom('deploy_targets')
    .select('deployed_version')
    .where('account_id', '=', acc)
    .execute();
  const kept = await t.services.store.db
    .selectFrom('snapshots')
    .select('version')
    .where('account_id', '=', acc)
    .orderBy('version')
    .execute();
  const expected = [...new Set([...served.map((r) => r.deployed_version), version])]
    .filter((v): v is number => v !== null)
    .sort((a, b) => a - b);
  assert.deepEqual(
    kept.map((r) => r.version),
    expected,
  );
});

test('concurrent changes of one account are serialized: one version each, none lost', async () => {
  const fresh = await t.services.accounts.create('Concurrent');
  const codes = Array.from({ length: 12 }, (_, i) => `a-parallel-${i}`);
  const results = await Promise.all(codes.map((code) => t.services.agents.put(fresh.id, code, agent())));
  assert.ok(results.every((r) => r.created));
  const version = await t.services.deployments.configurationVersion(fresh.id);
  assert.equal(version, codes.length);
  const [target] = await t.services.deployTargets.list(fresh.id);
  const snapshot = await t.services.snapshots.get(fresh.id, target.id);
  assert.equal(snapshot?.version, version);
  assert.deepEqual(Object.keys(snapshot?.agents ?? {}).sort(), [...codes].sort());
});
