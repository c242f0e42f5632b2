import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_EMAIL, createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectData, expectError } from '../../../test/helpers/expect.js';

let t: TestApp;
let url: string;
let adminId: string;

before(async () => {
  t = await createTestApp();
  url = `/admin/${t.account.id}/users`;
  adminId = (await t.services.users.findByEmail(ADMIN_EMAIL))?.id ?? '';
});
after(() => t.close());

const post = (body: unknown) => t.call({ method: 'POST', url, as: { session: t.admin }, body });

describe('users: bad input is 400 naming the field', () => {
  test('adding a person', async () => {
    expectError(await post(undefined), 400, 'invalid_input', 'body');
    expectError(
      await post({ password: 'a-long-password', role: 'view-reports' }),
      400,
      'invalid_input',
      'body.email',
    );
    expectError(
      await post({ email: 'not-an-email', password: 'a-long-password', role: 'view-reports' }),
      400,
      'invalid_input',
      'body.email',
    );
    expectError(
      await post({ email: 'a@example.com', password: 'a-long-password' }),
      400,
      'invalid_input',
      'body.role',
    );
    expectError(
      await post({ email: 'a@example.com', password: 'a-long-password', role: 'owner' }),
      400,
      'invalid_input',
      'body.role',
    );
    expectError(
      await post({ email: 'a@example.com', password: 12345678901, role: 'view-reports' }),
      400,
      'invalid_input',
      'body.password',
    );
    expectError(
      await post({ email: 'a@example.com', password: 'short', role: 'view-reports' }),
      400,
      'invalid_input',
      'body.password',
    );
    expectError(
      await post({ email: 'a@example.com', role: 'view-reports' }),
      400,
      'invalid_input',
      'body.password',
    );
    assert.equal(await t.services.users.findByEmail('a@example.com'), undefined, 'nobody was created');
  });

  test('changing a role', async () => {
    const patch = (body: unknown) =>
      t.call({ method: 'PATCH', url: `${url}/${adminId}`, as: { session: t.admin }, body });
    expectError(await patch({}), 400, 'invalid_input', 'body.role');
    expectError(await patch({ role: 'superuser' }), 400, 'invalid_input', 'body.role');
    expectError(await patch(undefined), 400, 'invalid_input', 'body');
  });
});

describe('users: 404 and 409', () => {
  test('adding someone who is already a member', async () => {
    expectError(await post({ email: ADMIN_EMAIL.toUpperCase(), role: 'view-reports' }), 409, 'user_exists');
  });

  test('one person added four times at once: added once, the others hear 409, none a 500', async () => {
    const body = { email: 'raced@example.com', password: 'a-long-password-1', role: 'view-reports' };
    const answers = await Promise.all([1, 2, 3, 4].map(() => post(body)));
    const statuses = answers.map((res) => res.statusCode).sort();
    assert.deepEqual(statuses, [201, 409, 409, 409], answers.map((res) => res.body).join('\n'));
    for (const res of answers) if (res.statusCode === 409) expectError(res, 409, 'user_exists');
    const members = await t.services.users.listMembers(t.account.id);
    assert.equal(members.filter((m) => m.email === 'raced@example.com').length, 1);
  });

  test('a write that loses a race the services do not foresee answers 409 concurrent_change, not 500', async () => {
    const raced = await createTestApp({
      extend: (app) => {
        // Stands in for any such race: the second insert of one row breaks a unique constraint.
        app.post('/race', { config: { permission: 'public' } }, async () => {
          const row = {
            id: 'usr-twice00000',
            email: 'twice@example.com',
            password_hash: null,
            created_at: 0,
          };
          await raced.services.store.db.insertInto('users').values(row).execute();
          await raced.services.store.db.insertInto('users').values(row).execute();
          return { status: 200, data: 'unreachable' };
        });
      },
    });
    try {
      expectError(await raced.call({ method: 'POST', url: '/race' }), 409, 'concurrent_change');
    } finally {
      await raced.close();
    }
  });

  test('an unknown person, or one who is not in this account', async () => {
    const other = await t.services.accounts.create('Other');
    const stranger = await t.services.users.addMember(other.id, {
      email: 'stranger@example.com',
      password: 'a-long-password',
      role: 'account-admin',
    });
    for (const id of ['usr-nobody0000', stranger.id]) {
      expectError(
        await t.call({
          method: 'PATCH',
          url: `${url}/${id}`,
          as: { session: t.admin },
          body: { role: 'view-reports' },
        }),
        404,
        'user_not_found',
      );
      expectError(
        await t.call({ method: 'DELETE', url: `${url}/${id}`, as: { session: t.admin } }),
        404,
        'user_not_found',
      );
    }
    assert.equal((await t.services.users.listMembers(other.id))[0].role, 'account-admin', 'untouched');
  });

  test('the last Account Admin can be neither removed nor demoted', async () => {
    expectError(
      await t.call({ method: 'DELETE', url: `${url}/${adminId}`, as: { session: t.admin } }),
      409,
      'last_account_admin',
    );
    for (const role of ['agent-admin', 'agent-author', 'view-reports']) {
      expectError(
        await t.call({ method: 'PATCH', url: `${url}/${adminId}`, as: { session: t.admin }, body: { role } }),
        409,
        'last_account_admin',
      );
    }
    // making them what they are is fine
    expectData(
      await t.call({
        method: 'PATCH',
        url: `${url}/${adminId}`,
        as: { session: t.admin },
        body: { role: 'account-admin' },
      }),
    );
    const list = expectData<Array<{ id: string; role: string }>>(
      await t.call({ url, as: { session: t.admin } }),
    );
    assert.equal(list.find((u) => u.id === adminId)?.role, 'account-admin');
  });

  // The race is between the two changes, not between requests (whichever commits first would make
  // the other request's actor no longer an admin), so the service is called directly.
  async function raceOfTwoAdmins(
    email: string,
    change: (secondId: string) => Array<Promise<unknown>>,
  ): Promise<void> {
    const second = await t.services.users.addMember(t.account.id, {
      email,
      password: 'a-long-password',
      role: 'account-admin',
    });
    try {
      const outcomes = await Promise.all(
        change(second.id).map((p) =>
          p.then(
            () => 'done',
            (error: Error) => error.constructor.name,
          ),
        ),
      );
      assert.deepEqual(outcomes.sort(), ['ConflictError', 'done']);
      const admins = (await t.services.users.listMembers(t.account.id)).filter(
        (m) => m.role === 'account-admin',
      );
      assert.equal(admins.length, 1);
    } finally {
      // the first admin stays, the second goes, for the tests that follow
      await t.services.store.db
        .updateTable('memberships')
        .set({ role: 'account-admin' })
        .where('user_id', '=', adminId)
        .execute();
      await t.services.store.db.deleteFrom('memberships').where('user_id', '=', second.id).execute();
    }
  }

  test('two Account Admins demoted at the same moment: one of them stays', async () => {
    await raceOfTwoAdmins('second-admin@example.com', (secondId) => [
      t.services.users.changeRole(t.account.id, adminId, 'view-reports'),
      t.services.users.changeRole(t.account.id, secondId, 'agent-admin'),
    ]);
  });

  test('two Account Admins, one removed and one demoted at the same moment: one of them stays', async () => {
    await raceOfTwoAdmins('third-admin@example.com', (secondId) => [
      t.services.users.removeMember(t.account.id, secondId),
      t.services.users.changeRole(t.account.id, adminId, 'view-reports'),
    ]);
  });

  test('other Account Admins of other accounts do not count', async () => {
    const other = await t.services.accounts.create('Elsewhere');
    await t.services.users.addMember(other.id, { email: ADMIN_EMAIL, role: 'account-admin' });
    expectError(
      await t.call({ method: 'DELETE', url: `${url}/${adminId}`, as: { session: t.admin } }),
      409,
      'last_account_admin',
    );
  });

  test('a user id that is far too long', async () => {
    expectError(
      await t.call({ method: 'DELETE', url: `${url}/${'u'.repeat(65)}`, as: { session: t.admin } }),
      400,
      'invalid_input',
      'params.id',
    );
  });
});
