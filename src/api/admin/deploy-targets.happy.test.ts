import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectData, expectError } from '../../../test/helpers/expect.js';

interface TargetRecord {
  code: string;
  name: string;
  kind: 'rest' | 'js';
  deployMode: 'automatic' | 'manual';
  isDefault: boolean;
  deployedVersion: number | null;
  deployedAt: string | null;
  createdAt: string;
}

let t: TestApp;
let url: string;

before(async () => {
  t = await createTestApp();
  url = `/admin/${t.account.id}/deploy-targets`;
});
after(() => t.close());

describe('deploy targets', () => {
  test('a new account has one REST and one JS target, both automatic; the REST one is the default', async () => {
    const list = expectData<TargetRecord[]>(await t.call({ url, as: { session: t.admin } }));
    assert.equal(list.length, 2);
    const [rest, js] = [list.find((dt) => dt.kind === 'rest'), list.find((dt) => dt.kind === 'js')];
    assert.ok(rest && js);
    assert.match(rest.code, /^dt-[0-9A-Za-z]{8}$/);
    assert.match(js.code, /^dt-[0-9A-Za-z]{8}$/);
    assert.equal(rest.deployMode, 'automatic');
    assert.equal(js.deployMode, 'automatic');
    assert.equal(rest.isDefault, true);
    assert.equal(js.isDefault, false);
    assert.ok(!Number.isNaN(Date.parse(rest.createdAt)));
  });

  test('an Account Admin creates, reads, edits and deletes a target', async () => {
    const created = expectData<TargetRecord>(
      await t.call({
        method: 'POST',
        url,
        as: { session: t.admin },
        body: { name: 'Staging', kind: 'rest', deployMode: 'manual' },
      }),
      201,
    );
    assert.match(created.code, /^dt-/);
    assert.equal(created.name, 'Staging');
    assert.equal(created.kind, 'rest');
    assert.equal(created.deployMode, 'manual');
    assert.equal(created.isDefault, false, 'the first REST target stays the default');
    assert.equal(created.deployedVersion, null, 'a manual target serves nothing until deployed');

    const one = `${url}/${created.code}`;
    assert.deepEqual(expectData(await t.call({ url: one, as: { session: t.admin } })), created);

    const edited = expectData<TargetRecord>(
      await t.call({
        method: 'PATCH',
        url: one,
        as: { session: t.admin },
        body: { name: 'Staging EU', deployMode: 'automatic' },
      }),
    );
    assert.equal(edited.name, 'Staging EU');
    assert.equal(edited.deployMode, 'automatic');
    assert.equal(edited.kind, 'rest');
    const renamed = expectData<TargetRecord>(
      await t.call({ method: 'PATCH', url: one, as: { session: t.admin }, body: { name: 'Staging' } }),
    );
    assert.equal(renamed.deployMode, 'automatic', 'a field not sent is kept');

    const removed = expectData<TargetRecord>(
      await t.call({ method: 'DELETE', url: one, as: { session: t.admin } }),
    );
    assert.equal(removed.code, created.code);
    expectError(await t.call({ url: one, as: { session: t.admin } }), 404, 'deploy_target_not_found');
    const list = expectData<TargetRecord[]>(await t.call({ url, as: { session: t.admin } }));
    assert.ok(!list.some((dt) => dt.code === created.code));
  });

  test('deployMode defaults to automatic; JS targets are made the same way', async () => {
    const created = expectData<TargetRecord>(
      await t.call({ method: 'POST', url, as: { session: t.admin }, body: { name: 'iOS app', kind: 'js' } }),
      201,
    );
    assert.equal(created.kind, 'js');
    assert.equal(created.deployMode, 'automatic');
  });

  test('every role and admin key may list targets', async () => {
    const reader = await t.person('view-reports');
    const key = await t.key('admin-read');
    for (const as of [{ session: reader }, { key: key.secret }]) {
      assert.equal(expectData<TargetRecord[]>(await t.call({ url, as })).length >= 2, true);
    }
  });

  test('a target whose keys were all deleted can be deleted', async () => {
    const target = await t.services.deployTargets.create(t.account.id, {
      name: 'Short-lived',
      kind: 'rest',
      deployMode: 'manual',
    });
    const key = await t.key('rest', { deployTargets: [target.id] });
    await t.services.keys.deleteKey(t.account.id, key.id, 'test');
    expectData(await t.call({ method: 'DELETE', url: `${url}/${target.id}`, as: { session: t.admin } }));
  });
});
