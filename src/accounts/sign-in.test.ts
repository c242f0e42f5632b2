import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createLoginThrottle } from '../limits/login-throttle.js';
import { hashPassword } from './passwords.js';
import { checkSignIn } from './sign-in.js';
import type { UserService } from './users.js';

function usersWith(accounts: Record<string, string>, failing = { now: false }): UserService {
  const hashes = new Map<string, string>();
  return {
    async findByEmail(email: string) {
      if (failing.now) throw new Error('store unavailable');
      const password = accounts[email];
      if (password === undefined) return undefined;
      if (!hashes.has(email)) hashes.set(email, await hashPassword(password));
      return { id: `usr-${email}`, email, passwordHash: hashes.get(email) ?? null };
    },
  } as unknown as UserService;
}

test('an address past its limit does not use up the tries of the emails it names', async () => {
  const deps = {
    users: usersWith({ 'victim@example.com': 'victims-password' }),
    loginThrottle: createLoginThrottle(),
  };
  const attacker = '203.0.113.66';
  // 50 failures from one address, spread over emails so that no email reaches its own limit.
  for (let i = 0; i < 50; i++) {
    const check = await checkSignIn(deps, `nobody-${i % 10}@example.com`, 'guess', attacker);
    assert.equal(check.kind, 'invalid');
  }
  for (let i = 0; i < 10; i++) {
    const refused = await checkSignIn(deps, 'victim@example.com', `guess-${i}`, attacker);
    assert.equal(refused.kind, 'throttled', 'the address is past its limit');
  }
  const own = await checkSignIn(deps, 'victim@example.com', 'victims-password', '198.51.100.1');
  assert.equal(own.kind, 'valid', 'the victim signs in from their own address');
});

test('a try the store could not check is given back: it counts against neither limit', async () => {
  const failing = { now: true };
  const deps = {
    users: usersWith({ 'me@example.com': 'my-password-1' }, failing),
    loginThrottle: createLoginThrottle(),
  };
  for (let i = 0; i < 15; i++) await assert.rejects(checkSignIn(deps, 'me@example.com', 'x', '198.51.100.2'));
  failing.now = false;
  assert.equal((await checkSignIn(deps, 'me@example.com', 'wrong', '198.51.100.2')).kind, 'invalid');
  assert.equal((await checkSignIn(deps, 'me@example.com', 'my-password-1', '198.51.100.2')).kind, 'valid');
});
