import { type RouteContext, securitySuite } from '../../../test/helpers/security.js';

// A manual target with something new to deploy, so each allowed request really deploys.
async function manualTarget({ t, principals, fresh }: RouteContext): Promise<string> {
  const target = await t.services.deployTargets.create(principals.accountId, {
    name: 'Production',
    kind: 'rest',
    deployMode: 'manual',
  });
  if (fresh)
    await t.services.agents.put(principals.accountId, `a-for-${target.id}`, { variations: [{ code: 'A' }] });
  return target.id;
}

securitySuite('Deployments', [
  {
    method: 'POST',
    path: '/admin/:acc/deploy-targets/:dt/deploy',
    permission: 'deploy',
    params: { dt: manualTarget },
    ok: 200,
  },
]);
