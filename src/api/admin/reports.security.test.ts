import { type RouteContext, securitySuite } from '../../../test/helpers/security.js';

// An agent of the account, deployed to its default target, so allowed readers get a report.
async function agent({ t, principals }: RouteContext): Promise<string> {
  await t.services.agents.put(principals.accountId, 'a-report', {
    name: 'Report',
    variations: [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 1 },
    ],
  });
  return 'a-report';
}

securitySuite('Reports', [
  {
    method: 'GET',
    path: '/admin/:acc/reports/decision-stats/:a',
    permission: 'read',
    params: { a: agent },
    ok: 200,
  },
]);
