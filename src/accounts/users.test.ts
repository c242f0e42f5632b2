import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestStore, type TestStore } from '../../test/helpers/store.js';
import { createServices, type Services } from '../app/services.js';
import { InvalidInputError, NotFoundError } from '../kernel/errors.js';

describe('adding a person, whatever the caller (Admin API, command line, first start)', () => {
  let ts: TestStore;
  let services: Services;
  let accountId: string;
  before(async () => {
    ts = await createTestStore();
    services = createServices(ts.store);
    accountId = (await services.accounts.create('People')).id;
  });
  after(async () => {
    await services.keyUsage.close();
    await services.events.close();
    await ts.dispose();
  });

  const usersNamed = (email: string) =>
    ts.store.db.selectFrom('users').select('id').where('email', '=', email).execute();

  test('an unknown account is refused and leaves no user behind', async () => {
    await assert.rejects(
      services.users.addMember('acc-typo000000', {
        email: 'stray@example.com',
        password: 'long-enough-1',
        role: 'account-admin',
      }),
      (error: unknown) => error instanceof NotFoundError && error.code === 'account_not_found',
    );
    assert.deepEqual(await usersNamed('stray@example.com'), []);
  });

  test('an email that is not one, or longer than 254 characters, is refused', async () => {
    for (const email of ['not an email', '', '   ', `${'a'.repeat(250)}@example.com`]) {
      await assert.rejects(
        services.users.addMember(accountId, { email, password: 'long-enough-1', role: 'view-reports' }),
        (error: unknown) => error instanceof InvalidInputError && error.field === 'email',
        JSON.stringify(email),
      );
    }
    assert.equal((await services.users.listMembers(accountId)).length, 0);
  });

  test('a password of only spaces is refused', async () => {
    await assert.rejects(
      services.users.addMember(accountId, {
        email: 'spaces@example.com',
        password: ' '.repeat(12),
        role: 'view-reports',
      }),
      (error: unknown) => error instanceof InvalidInputError && error.field === 'password',
    );
  });

  test('a person added is a user and a member', async () => {
    const member = await services.users.addMember(accountId, {
      email: ' New@Example.com ',
      password: 'long-enough-1',
      role: 'agent-author',
    });
    assert.equal(member.email, 'new@example.com');
    assert.deepEqual(await usersNamed('new@example.com'), [{ id: member.id }]);
  });
});
