import { type RouteContext, securitySuite } from '../../../test/helpers/security.js';

let made = 0;

// Only a request expected to succeed gets a person of its own (adding one hashes a password).
const member = {
  id: async ({ t, principals, fresh }: RouteContext) =>
    fresh
      ? (
          await t.services.users.addMember(principals.accountId, {
            email: `member${++made}@example.com`,
            password: 'correct-horse-battery',
            role: 'view-reports',
          })
        ).id
      : principals.users['view-reports'],
};

securitySuite('Users', [
  { method: 'GET', path: '/admin/:acc/users', permission: 'manage', ok: 200 },
  {
    method: 'POST',
    path: '/admin/:acc/users',
    permission: 'manage',
    body: () => ({
      email: `new${++made}@example.com`,
      password: 'correct-horse-battery',
      role: 'agent-author',
    }),
    ok: 201,
  },
  {
    method: 'PATCH',
    path: '/admin/:acc/users/:id',
    permission: 'manage',
    params: member,
    body: () => ({ role: 'agent-admin' }),
    ok: 200,
  },
  { method: 'DELETE', path: '/admin/:acc/users/:id', permission: 'manage', params: member, ok: 200 },
]);
