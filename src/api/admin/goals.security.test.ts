import { type RouteContext, securitySuite } from '../../../test/helpers/security.js';

let made = 0;

// A goal of its own for each request allowed to delete one; a refused request names any.
async function goalCode({ t, principals, fresh }: RouteContext): Promise<string> {
  const code = `g-security-${++made}`;
  if (fresh) await t.services.goals.put(principals.accountId, code, {});
  return code;
}

async function existingGoal({ t, principals }: RouteContext): Promise<string> {
  await t.services.goals.put(principals.accountId, 'g-listed', {});
  return 'g-listed';
}

securitySuite('Goals', [
  { method: 'GET', path: '/admin/:acc/goals', permission: 'read', ok: 200 },
  { method: 'GET', path: '/admin/:acc/goals/:g', permission: 'read', params: { g: existingGoal }, ok: 200 },
  {
    method: 'PUT',
    path: '/admin/:acc/goals/:g',
    permission: 'change',
    params: { g: () => `g-written-${++made}` },
    body: () => ({ name: 'Written', value: 2 }),
    ok: 201,
  },
  { method: 'DELETE', path: '/admin/:acc/goals/:g', permission: 'change', params: { g: goalCode }, ok: 200 },
]);
