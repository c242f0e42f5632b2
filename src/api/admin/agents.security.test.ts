import { type RouteContext, securitySuite } from '../../../test/helpers/security.js';

let made = 0;

// An agent of its own for each request allowed to delete one; a refused request names any.
async function agentCode({ t, principals, fresh }: RouteContext): Promise<string> {
  const code = `a-security-${++made}`;
  if (fresh) await t.services.agents.put(principals.accountId, code, { variations: [{ code: 'A' }] });
  return code;
}

async function existingAgent({ t, principals }: RouteContext): Promise<string> {
  await t.services.agents.put(principals.accountId, 'a-listed', { variations: [{ code: 'A' }] });
  return 'a-listed';
}

securitySuite('Agents', [
  { method: 'GET', path: '/admin/:acc/agents', permission: 'read', ok: 200 },
  { method: 'GET', path: '/admin/:acc/agents/:a', permission: 'read', params: { a: existingAgent }, ok: 200 },
  {
    method: 'PUT',
    path: '/admin/:acc/agents/:a',
    permission: 'change',
    params: { a: () => `a-written-${++made}` },
    body: () => ({ name: 'Written', variations: [{ code: 'A' }, { code: 'B' }] }),
    ok: 201,
  },
  {
    method: 'DELETE',
    path: '/admin/:acc/agents/:a',
    permission: 'change',
    params: { a: agentCode },
    ok: 200,
  },
]);
