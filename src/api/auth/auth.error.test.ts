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

const login = (body: unknown, headers?: Record<string, string>) =>
  t.call({ method: 'POST', url: '/auth/login', body, headers });
/** A sign-in from an address of its own, so the per-address count starts from nothing. */
const loginFrom = (remoteAddress: string, body: unknown) =>
  t.app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: body as Record<string, unknown>,
    remoteAddress,
  });

/** A person of the test account who can only view reports. */
const addPerson = (email: string, password: string) =>
  t.services.users.addMember(t.account.id, { email, password, role: 'view-reports' });

describe('sign-in: bad input and wrong credentials', () => {
  test('400 naming the field', async () => {
    expectError(await login(undefined), 400, 'invalid_input', 'body');
    expectError(
      await login('{"email":', { 'content-type': 'application/json' }),
      400,
      'invalid_request',
      'body',
    );
    expectError(await login({ password: ADMIN_PASSWORD }), 400, 'invalid_input', 'body.email');
    expectError(await login({ email: '', password: ADMIN_PASSWORD }), 400, 'invalid_input', 'body.email');
    expectError(await login({ email: ADMIN_EMAIL }), 400, 'invalid_input', 'body.password');
    expectError(await login({ email: ADMIN_EMAIL, password: '' }), 400, 'invalid_input', 'body.password');
    expectError(
      await login({ email: ADMIN_EMAIL, password: 'x'.repeat(1025) }),
      400,
      'invalid_input',
      'body.password',
    );
    expectError(await login({ email: ['a'], password: 'b' }), 400, 'invalid_input', 'body.email');
  });

  test('a wrong password and an unknown email get the same answer, and no cookie', async () => {
    const wrong = await login({ email: ADMIN_EMAIL, password: 'not-the-password' });
    const unknown = await login({ email: 'nobody@example.com', password: 'not-the-password' });
    const a = expectError(wrong, 401, 'invalid_credentials');
    const b = expectError(unknown, 401, 'invalid_credentials');
    assert.equal(a.err, b.err);
    assert.equal(wrong.headers['set-cookie'], undefined);
    assert.equal(unknown.headers['set-cookie'], undefined);
  });

  test('repeated failures for one email are slowed down (429 with Retry-After), other people are not', async () => {
    const email = 'target@example.com';
    await addPerson(email, 'targets-password');
    for (let i = 0; i < 10; i++)
      expectError(await login({ email, password: `guess-${i}` }), 401, 'invalid_credentials');
    const blocked = await login({ email, password: 'targets-password' });
    expectError(blocked, 429, 'too_many_attempts');
    assert.ok(Number(blocked.headers['retry-after']) > 0);
    expectData(await login({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD }));
  });

  test('guesses sent all at once are throttled too: at most 10 passwords are checked', async () => {
    const email = 'parallel@example.com';
    await addPerson(email, 'parallels-password');
    const answers = await Promise.all(
      Array.from({ length: 40 }, (_, i) => loginFrom('203.0.113.8', { email, password: `guess-${i}` })),
    );
    const statuses = answers.map((answer) => answer.statusCode);
    assert.equal(statuses.filter((status) => status === 401).length, 10, statuses.join(' '));
    assert.equal(statuses.filter((status) => status === 429).length, 30, statuses.join(' '));
  });

  test('sign-ins that succeed do not count against the address; its 51st failure is refused', async () => {
    const email = 'returning@example.com';
    await addPerson(email, 'returning-password');
    const from = (password: string) => loginFrom('203.0.113.9', { email, password });
    // 5 rounds of 9 failures and a success (which clears the email's count, not the address's).
    for (let round = 0; round < 5; round++) {
      for (let i = 0; i < 9; i++) expectError(await from(`guess-${i}`), 401, 'invalid_credentials');
      expectData(await from('returning-password'));
    }
    for (let i = 0; i < 10; i++) expectData(await from('returning-password'));
    for (let i = 0; i < 5; i++) expectError(await from(`late-${i}`), 401, 'invalid_credentials');
    expectError(await from('late-5'), 429, 'too_many_attempts');
  });
});

describe('setup link: refusals', () => {
  test('a wrong token, bad fields, a short password that does not use up the link', async () => {
    const { store, dispose } = await createTestStore();
    const services = createServices(store);
    const app = await buildServer(services, { logLevel: 'silent' });
    try {
      const first = await services.bootstrap.run({});
      if (first.kind !== 'setup-link') throw new Error('expected a setup link');
      const setup = (payload: Record<string, unknown>) =>
        app.inject({ method: 'POST', url: '/setup', payload });
      const valid = { token: first.token, email: 'owner@example.com', password: 'owners-password' };

      expectError(await setup({ ...valid, token: 'made-up' }), 400, 'invalid_input', 'body.token');
      expectError(
        await setup({ email: valid.email, password: valid.password }),
        400,
        'invalid_input',
        'body.token',
      );
      expectError(await setup({ ...valid, email: 'not-an-email' }), 400, 'invalid_input', 'body.email');
      expectError(await setup({ ...valid, password: '' }), 400, 'invalid_input', 'body.password');
      expectError(await setup({ ...valid, password: 'short' }), 400, 'invalid_input', 'body.password');
      assert.equal(await services.users.count(), 0);
      // a typo did not burn the one-time link
      expectData(await setup(valid), 201);
      assert.equal(await services.users.count(), 1);
    } finally {
      await app.close();
      await dispose();
    }
  });

  test('an expired link is refused', async () => {
    const { store, dispose } = await createTestStore();
    const services = createServices(store);
    const app = await buildServer(services, { logLevel: 'silent' });
    try {
      const first = await services.bootstrap.run({});
      if (first.kind !== 'setup-link') throw new Error('expected a setup link');
      await store.db
        .updateTable('setup_tokens')
        .set({ expires_at: Date.now() - 1 })
        .execute();
      expectError(
        await app.inject({
          method: 'POST',
          url: '/setup',
          payload: { token: first.token, email: 'late@example.com', password: 'a-long-password' },
        }),
        400,
        'invalid_input',
        'body.token',
      );
    } finally {
      await app.close();
      await dispose();
    }
  });

  test('once someone can sign in, setup is over', async () => {
    expectError(
      await t.call({
        method: 'POST',
        url: '/setup',
        body: { token: 'whatever-it-is', email: 'late@example.com', password: 'a-long-password' },
      }),
      400,
      'invalid_input',
      'body.token',
    );
  });
});
