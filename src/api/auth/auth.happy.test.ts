import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectData, expectError } from '../../../test/helpers/expect.js';
import { createTestStore } from '../../../test/helpers/store.js';
import { buildServer } from '../../app/server.js';
import { createServices } from '../../app/services.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

describe('sign-in, who am I, sign-out', () => {
  test('sign-in answers a CSRF token and sets an HttpOnly, SameSite=Strict session cookie', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/auth/login',
      body: { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
    });
    const data = expectData<{ csrfToken: string }>(res);
    assert.ok(data.csrfToken.length >= 20);
    const cookie = res.cookies.find((c) => c.name === 'tessera_session');
    assert.ok(cookie);
    assert.equal(cookie.httpOnly, true);
    assert.equal(cookie.sameSite, 'Strict');
    assert.equal(cookie.path, '/');
    assert.ok(cookie.value.length >= 40, 'an opaque random value');
    assert.ok((cookie.maxAge ?? 0) > 0);
    assert.ok(!res.body.includes(cookie.value), 'the cookie is not in the body');
  });

  test('the email is matched whatever its case and surrounding spaces', async () => {
    const res = await t.call({
      method: 'POST',
      url: '/auth/login',
      body: { email: `  ${ADMIN_EMAIL.toUpperCase()} `, password: ADMIN_PASSWORD },
    });
    expectData(res);
  });

  test('/auth/me tells who is signed in and their accounts with roles', async () => {
    const data = expectData<{
      user: { id: string; email: string };
      accounts: Array<{ code: string; name: string; role: string }>;
    }>(await t.call({ url: '/auth/me', as: { session: t.admin } }));
    assert.match(data.user.id, /^usr-/);
    assert.equal(data.user.email, ADMIN_EMAIL);
    assert.deepEqual(data.accounts, [{ code: t.account.id, name: t.account.name, role: 'account-admin' }]);
  });

  test('two sessions of one person are independent; sign-out ends only its own, at once', async () => {
    const first = await t.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
    const second = await t.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
    assert.notEqual(first.cookie, second.cookie);
    const out = await t.call({ method: 'POST', url: '/auth/logout', as: { session: first } });
    expectData(out);
    const cleared = out.cookies.find((c) => c.name === 'tessera_session');
    assert.ok(
      cleared &&
        (cleared.value === '' ||
          (cleared.maxAge ?? 1) <= 0 ||
          (cleared.expires?.getTime() ?? 1) <= Date.now()),
    );
    expectError(await t.call({ url: '/auth/me', as: { session: first } }), 401, 'session_expired');
    expectError(
      await t.call({ url: `/admin/${t.account.id}/api-keys`, as: { session: first } }),
      401,
      'session_expired',
    );
    expectData(await t.call({ url: '/auth/me', as: { session: second } }));
  });
});

describe('first start without variables: the one-time setup link', () => {
  test('creates the first Account Admin once; a second use is refused', async () => {
    const { store, dispose } = await createTestStore();
    const services = createServices(store);
    const app = await buildServer(services, { logLevel: 'silent' });
    try {
      const first = await services.bootstrap.run({});
      assert.equal(first.kind, 'setup-link');
      if (first.kind !== 'setup-link') return;
      // no one can sign in yet
      assert.equal(await services.users.count(), 0);

      const setup = await app.inject({
        method: 'POST',
        url: '/setup',
        payload: { token: first.token, email: 'Owner@Example.com', password: 'owners-password' },
      });
      const data = expectData<{ accountId: string; email: string }>(setup, 201);
      assert.deepEqual(data, { accountId: first.account.id, email: 'owner@example.com' });

      const login = await app.inject({
        method: 'POST',
        url: '/auth/login',
        payload: { email: 'owner@example.com', password: 'owners-password' },
      });
      expectData(login);
      const cookie = login.cookies.find((c) => c.name === 'tessera_session')?.value;
      const me = expectData<{ accounts: Array<{ code: string; role: string }> }>(
        await app.inject({ url: '/auth/me', cookies: { tessera_session: cookie ?? '' } }),
      );
      assert.deepEqual(
        me.accounts.map(({ code, role }) => ({ code, role })),
        [{ code: first.account.id, role: 'account-admin' }],
      );

      const again = await app.inject({
        method: 'POST',
        url: '/setup',
        payload: { token: first.token, email: 'intruder@example.com', password: 'intruders-password' },
      });
      expectError(again, 400, 'invalid_input', 'body.token');
      assert.equal(await services.users.findByEmail('intruder@example.com'), undefined);
      // and a later start finds the server ready: no new link
      assert.equal((await services.bootstrap.run({})).kind, 'ready');
    } finally {
      await app.close();
      await dispose();
    }
  });
});
