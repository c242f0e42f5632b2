import { type RouteContext, securitySuite } from '../../../test/helpers/security.js';

// Keys are cheap to make: every request gets a key of its own, so a deletion cannot affect the next.
const victim = { id: async ({ t }: RouteContext) => (await t.key('rest', { name: 'victim' })).id };

securitySuite('API keys', [
  { method: 'GET', path: '/admin/:acc/api-keys', permission: 'manage', ok: 200 },
  {
    method: 'POST',
    path: '/admin/:acc/api-keys',
    permission: 'manage',
    body: () => ({ kind: 'rest', name: 'Made by an allowed principal' }),
    ok: 201,
  },
  { method: 'GET', path: '/admin/:acc/api-keys/:id', permission: 'manage', params: victim, ok: 200 },
  {
    method: 'PATCH',
    path: '/admin/:acc/api-keys/:id',
    permission: 'manage',
    params: victim,
    body: () => ({ name: 'Renamed' }),
    ok: 200,
  },
  { method: 'DELETE', path: '/admin/:acc/api-keys/:id', permission: 'manage', params: victim, ok: 200 },
]);
