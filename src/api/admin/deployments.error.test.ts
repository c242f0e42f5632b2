import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';

let t: TestApp;
let acc: string;
let author: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  author = (await t.key('admin-author')).secret;
});
after(() => t.close());

test('deploying an unknown target is 404 deploy_target_not_found', async () => {
  const res = await t.call({
    method: 'POST',
    url: `/admin/${acc}/deploy-targets/dt-missing/deploy`,
    as: { key: author },
  });
  assert.equal(res.statusCode, 404, res.body);
  assert.equal(res.json().code, 'deploy_target_not_found');
});

test("another account's target cannot be deployed through this account", async () => {
  const other = await t.services.accounts.create('Other');
  const [target] = await t.services.deployTargets.list(other.id);
  const before = target.deployedVersion;
  await t.services.agents.put(acc, 'a-mine', { variations: [{ code: 'A' }] });
  const res = await t.call({
    method: 'POST',
    url: `/admin/${acc}/deploy-targets/${target.id}/deploy`,
    as: { key: author },
  });
  assert.equal(res.statusCode, 404, res.body);
  assert.equal((await t.services.deployTargets.get(other.id, target.id)).deployedVersion, before);
});

test('deploying a target that is up to date answers it unchanged', async () => {
  const [target] = await t.services.deployTargets.list(acc);
  const first = await t.call({
    method: 'POST',
    url: `/admin/${acc}/deploy-targets/${target.id}/deploy`,
    as: { key: author },
  });
  const second = await t.call({
    method: 'POST',
    url: `/admin/${acc}/deploy-targets/${target.id}/deploy`,
    as: { key: author },
  });
  assert.equal(first.statusCode, 200, first.body);
  assert.deepEqual(second.json(), first.json());
});

test('a deploy or a delete sent with Content-Type: application/json and no body is not refused for it', async () => {
  const [target] = await t.services.deployTargets.list(acc);
  const json = { 'content-type': 'application/json' };
  const deployed = await t.call({
    method: 'POST',
    url: `/admin/${acc}/deploy-targets/${target.id}/deploy`,
    as: { key: author },
    headers: json,
  });
  assert.equal(deployed.statusCode, 200, deployed.body);
  await t.services.agents.put(acc, 'a-gone', { variations: [{ code: 'A' }] });
  const removed = await t.call({
    method: 'DELETE',
    url: `/admin/${acc}/agents/a-gone`,
    as: { key: author },
    headers: json,
  });
  assert.equal(removed.statusCode, 200, removed.body);
});
