import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectData, expectError } from '../../../test/helpers/expect.js';

let t: TestApp;
let url: string;
let defaultTarget: string;

before(async () => {
  t = await createTestApp();
  url = `/admin/${t.account.id}/deploy-targets`;
  const targets = await t.services.deployTargets.list(t.account.id);
  defaultTarget = targets.find((dt) => dt.isDefault)?.id ?? '';
});
after(() => t.close());

const spare = (name = 'Spare') =>
  t.services.deployTargets.create(t.account.id, { name, kind: 'rest', deployMode: 'manual' });

describe('deploy targets: bad input is 400 naming the field', () => {
  const post = (body: unknown) => t.call({ method: 'POST', url, as: { session: t.admin }, body });

  test('create', async () => {
    expectError(await post(undefined), 400, 'invalid_input', 'body');
    expectError(await post({ kind: 'rest' }), 400, 'invalid_input', 'body.name');
    expectError(await post({ name: '', kind: 'rest' }), 400, 'invalid_input', 'body.name');
    expectError(await post({ name: 'x'.repeat(101), kind: 'rest' }), 400, 'invalid_input', 'body.name');
    expectError(await post({ name: 'Staging' }), 400, 'invalid_input', 'body.kind');
    expectError(await post({ name: 'Staging', kind: 'ios' }), 400, 'invalid_input', 'body.kind');
    expectError(
      await post({ name: 'Staging', kind: 'rest', deployMode: 'sometimes' }),
      400,
      'invalid_input',
      'body.deployMode',
    );
    assert.equal((await t.services.deployTargets.list(t.account.id)).length, 2, 'nothing was created');
  });

  test('edit', async () => {
    const target = await spare();
    const patch = (body: unknown) =>
      t.call({ method: 'PATCH', url: `${url}/${target.id}`, as: { session: t.admin }, body });
    expectError(await patch({ name: '' }), 400, 'invalid_input', 'body.name');
    expectError(await patch({ deployMode: 'never' }), 400, 'invalid_input', 'body.deployMode');
    expectError(await patch({ name: ['a'] }), 400, 'invalid_input', 'body.name');
    // The kind is what the target is: asking to change it is refused; its own kind (a record
    // read back and sent again) is accepted.
    expectError(await patch({ kind: 'js' }), 400, 'invalid_input', 'body.kind');
    const edited = expectData<{ kind: string; name: string }>(await patch({ kind: 'rest', name: 'Renamed' }));
    assert.equal(edited.kind, 'rest');
    assert.equal(edited.name, 'Renamed');
  });

  test('a target code that is far too long', async () => {
    expectError(
      await t.call({ url: `${url}/${'d'.repeat(65)}`, as: { session: t.admin } }),
      400,
      'invalid_input',
      'params.dt',
    );
  });
});

describe('deploy targets: 404 and 409', () => {
  test('an unknown target, or one of another account', async () => {
    const other = await t.services.accounts.create('Other');
    const theirs = (await t.services.deployTargets.list(other.id))[1].id;
    for (const code of ['dt-nothere0', theirs]) {
      for (const method of ['GET', 'PATCH', 'DELETE'] as const) {
        expectError(
          await t.call({
            method,
            url: `${url}/${code}`,
            as: { session: t.admin },
            body: method === 'PATCH' ? { name: 'x' } : undefined,
          }),
          404,
          'deploy_target_not_found',
        );
      }
    }
    assert.equal(
      (await t.services.deployTargets.list(other.id)).length,
      2,
      'the other account keeps its targets',
    );
  });

  test('the default REST target cannot be deleted', async () => {
    expectError(
      await t.call({ method: 'DELETE', url: `${url}/${defaultTarget}`, as: { session: t.admin } }),
      409,
      'deploy_target_is_default',
    );
  });

  test('a target that keys are associated with is not deleted: 409 naming the keys', async () => {
    const target = await spare('Associated');
    const first = await t.key('rest', { name: 'Checkout service', deployTargets: [target.id] });
    const second = await t.key('rest', { name: 'Search service', deployTargets: [target.id, defaultTarget] });
    const unrelated = await t.key('rest', { name: 'Unrelated service', deployTargets: [defaultTarget] });
    const body = expectError(
      await t.call({ method: 'DELETE', url: `${url}/${target.id}`, as: { session: t.admin } }),
      409,
      'deploy_target_in_use',
    );
    for (const text of ['Checkout service', first.id, 'Search service', second.id, target.id]) {
      assert.ok(body.err.includes(text), `the answer names ${text}: ${body.err}`);
    }
    assert.ok(!body.err.includes(unrelated.id));
    // still there, and the keys still have it
    expectData(await t.call({ url: `${url}/${target.id}`, as: { session: t.admin } }));

    // once no key has it, it goes
    await t.services.keys.updateKey(t.account.id, first.id, { deployTargets: [] });
    await t.services.keys.updateKey(t.account.id, second.id, { deployTargets: [defaultTarget] });
    expectData(await t.call({ method: 'DELETE', url: `${url}/${target.id}`, as: { session: t.admin } }));
  });
});
