import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_EMAIL, createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectData, expectError } from '../../../test/helpers/expect.js';

interface UserRecord {
  id: string;
  email: string;
  role: string;
  createdAt: string;
}

let t: TestApp;
let url: string;

before(async () => {
  t = await createTestApp();
  url = `/admin/${t.account.id}/users`;
});
after(() => t.close());

const add = async (body: Record<string, unknown>) =>
  expectData<UserRecord>(await t.call({ method: 'POST', url, as: { session: t.admin }, body }), 201);

describe('users of an account', () => {
  test('the list starts with the first Account Admin', async () => {
    const list = expectData<UserRecord[]>(await t.call({ url, as: { session: t.admin } }));
    assert.deepEqual(
      list.map(({ email, role }) => ({ email, role })),
      [{ email: ADMIN_EMAIL, role: 'account-admin' }],
    );
    assert.match(list[0].id, /^usr-/);
  });

  test('an added person can sign in and sees the account with their role; no password is answered', async () => {
    const res = await t.call({
      method: 'POST',
      url,
      as: { session: t.admin },
      body: { email: 'Ana@Example.com', password: 'a-long-password', role: 'agent-author' },
    });
    const user = expectData<UserRecord>(res, 201);
    assert.equal(user.email, 'ana@example.com');
    assert.equal(user.role, 'agent-author');
    assert.ok(!res.body.includes('a-long-password') && !res.body.includes('argon2'));
    const ana = await t.signIn('ana@example.com', 'a-long-password');
    const me = expectData<{ accounts: Array<{ code: string; role: string }> }>(
      await t.call({ url: '/auth/me', as: { session: ana } }),
    );
    assert.deepEqual(
      me.accounts.map(({ code, role }) => ({ code, role })),
      [{ code: t.account.id, role: 'agent-author' }],
    );
    const list = expectData<UserRecord[]>(await t.call({ url, as: { session: t.admin } }));
    assert.deepEqual(
      list.map((u) => u.email),
      [ADMIN_EMAIL, 'ana@example.com'],
    );
  });

  test('a role change applies to the person’s very next request', async () => {
    const user = await add({ email: 'ben@example.com', password: 'a-long-password', role: 'view-reports' });
    const ben = await t.signIn('ben@example.com', 'a-long-password');
    expectError(await t.call({ url, as: { session: ben } }), 403, 'insufficient_role');
    const changed = expectData<UserRecord>(
      await t.call({
        method: 'PATCH',
        url: `${url}/${user.id}`,
        as: { session: t.admin },
        body: { role: 'account-admin' },
      }),
    );
    assert.equal(changed.role, 'account-admin');
    expectData(await t.call({ url, as: { session: ben } }));
    expectData(
      await t.call({
        method: 'PATCH',
        url: `${url}/${user.id}`,
        as: { session: t.admin },
        body: { role: 'view-reports' },
      }),
    );
    expectError(await t.call({ url, as: { session: ben } }), 403, 'insufficient_role');
  });

  test('a removed person loses the account on their very next request', async () => {
    const user = await add({ email: 'cy@example.com', password: 'a-long-password', role: 'agent-admin' });
    const cy = await t.signIn('cy@example.com', 'a-long-password');
    const targets = `/admin/${t.account.id}/deploy-targets`;
    expectData(await t.call({ url: targets, as: { session: cy } }));
    const removed = expectData<UserRecord>(
      await t.call({ method: 'DELETE', url: `${url}/${user.id}`, as: { session: t.admin } }),
    );
    assert.equal(removed.email, 'cy@example.com');
    // Their last account: they are signed out everywhere, not left with an empty session.
    expectError(await t.call({ url: targets, as: { session: cy } }), 401, 'session_expired');
    expectError(await t.call({ url: '/auth/me', as: { session: cy } }), 401, 'session_expired');
    const list = expectData<UserRecord[]>(await t.call({ url, as: { session: t.admin } }));
    assert.ok(!list.some((u) => u.id === user.id));
    // Added again, they sign in again: the old cookie does not come back to life.
    await add({ email: 'cy@example.com', role: 'view-reports' });
    expectError(await t.call({ url: targets, as: { session: cy } }), 401, 'session_expired');
    expectData(
      await t.call({ url: targets, as: { session: await t.signIn('cy@example.com', 'a-long-password') } }),
    );
  });

  test('removed from one of two accounts, a person keeps the other and their session', async () => {
    const other = await t.services.accounts.create('Elsewhere');
    await t.services.users.addMember(other.id, {
      email: 'eve@example.com',
      password: 'a-long-password',
      role: 'view-reports',
    });
    const user = await add({ email: 'eve@example.com', role: 'agent-admin' });
    const eve = await t.signIn('eve@example.com', 'a-long-password');
    expectData(await t.call({ method: 'DELETE', url: `${url}/${user.id}`, as: { session: t.admin } }));
    expectError(
      await t.call({ url: `/admin/${t.account.id}/deploy-targets`, as: { session: eve } }),
      403,
      'wrong_account',
    );
    expectData(await t.call({ url: `/admin/${other.id}/deploy-targets`, as: { session: eve } }));
  });

  test('a person of another account joins this one with their own password', async () => {
    const other = await t.services.accounts.create('Agency');
    await t.services.users.addMember(other.id, {
      email: 'dee@example.com',
      password: 'dees-password',
      role: 'account-admin',
    });
    const user = await add({ email: 'dee@example.com', role: 'view-reports' });
    assert.equal(user.role, 'view-reports');
    const dee = await t.signIn('dee@example.com', 'dees-password');
    const me = expectData<{ accounts: Array<{ code: string; role: string }> }>(
      await t.call({ url: '/auth/me', as: { session: dee } }),
    );
    assert.deepEqual(
      me.accounts.map(({ code, role }) => ({ code, role })).sort((a, b) => a.code.localeCompare(b.code)),
      [
        { code: other.id, role: 'account-admin' },
        { code: t.account.id, role: 'view-reports' },
      ].sort((a, b) => a.code.localeCompare(b.code)),
    );
  });

  test('with a second Account Admin, the first may step down', async () => {
    const second = await add({
      email: 'eve@example.com',
      password: 'a-long-password',
      role: 'account-admin',
    });
    const list = expectData<UserRecord[]>(await t.call({ url, as: { session: t.admin } }));
    const first = list.find((u) => u.email === ADMIN_EMAIL);
    assert.ok(first);
    const eve = await t.signIn('eve@example.com', 'a-long-password');
    expectData(
      await t.call({
        method: 'PATCH',
        url: `${url}/${first.id}`,
        as: { session: eve },
        body: { role: 'agent-admin' },
      }),
    );
    // and the first is an Account Admin again, so later tests keep theirs
    expectData(
      await t.call({
        method: 'PATCH',
        url: `${url}/${first.id}`,
        as: { session: eve },
        body: { role: 'account-admin' },
      }),
    );
    expectData(await t.call({ method: 'DELETE', url: `${url}/${second.id}`, as: { session: t.admin } }));
    expectError(await t.call({ url, as: { session: eve } }), 403, 'wrong_account');
  });
});
