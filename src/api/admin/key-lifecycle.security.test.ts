import { type RouteContext, securitySuite } from '../../../test/helpers/security.js';

// Every allowed request gets a key of its own; a key to end the grace of has just been rolled.
const victim = { id: async ({ t }: RouteContext) => (await t.key('rest', { name: 'victim' })).id };
const rolled = {
  id: async ({ t, principals, fresh }: RouteContext) => {
    const { id } = await t.key('rest', { name: 'rolled victim' });
    if (fresh) await t.services.keys.rollKey(principals.accountId, id, 3600);
    return id;
  },
};

securitySuite('API key lifecycle', [
  {
    method: 'GET',
    path: '/admin/:acc/api-keys',
    permission: 'manage',
    ok: 200,
  },
  {
    method: 'POST',
    path: '/admin/:acc/api-keys/:id/roll',
    permission: 'manage',
    params: victim,
    body: () => ({ graceSeconds: 60 }),
    ok: 200,
  },
  {
    method: 'POST',
    path: '/admin/:acc/api-keys/:id/roll/end',
    permission: 'manage',
    params: rolled,
    ok: 200,
  },
]);
