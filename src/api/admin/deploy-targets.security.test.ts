import { type RouteContext, securitySuite } from '../../../test/helpers/security.js';

async function restTarget({ t, principals }: RouteContext): Promise<string> {
  const targets = await t.services.deployTargets.list(principals.accountId);
  const rest = targets.find((target) => target.kind === 'rest');
  if (!rest) throw new Error('the account has no REST target');
  return rest.id;
}

// A target of its own for each request allowed to change or delete it.
const spare = {
  dt: async (ctx: RouteContext) =>
    ctx.fresh
      ? (
          await ctx.t.services.deployTargets.create(ctx.principals.accountId, {
            name: 'Spare',
            kind: 'rest',
            deployMode: 'manual',
          })
        ).id
      : restTarget(ctx),
};

securitySuite('Deploy targets', [
  { method: 'GET', path: '/admin/:acc/deploy-targets', permission: 'read', ok: 200 },
  {
    method: 'GET',
    path: '/admin/:acc/deploy-targets/:dt',
    permission: 'read',
    params: { dt: restTarget },
    ok: 200,
  },
  {
    method: 'POST',
    path: '/admin/:acc/deploy-targets',
    permission: 'manage',
    body: () => ({ name: 'Staging', kind: 'rest', deployMode: 'manual' }),
    ok: 201,
  },
  {
    method: 'PATCH',
    path: '/admin/:acc/deploy-targets/:dt',
    permission: 'manage',
    params: spare,
    body: () => ({ name: 'Renamed' }),
    ok: 200,
  },
  { method: 'DELETE', path: '/admin/:acc/deploy-targets/:dt', permission: 'manage', params: spare, ok: 200 },
]);
