/**
 * `x-conductrics-apikey: KEY` (what existing Conductrics admin scripts send) is the same credential
 * as `Authorization: Bearer KEY`: every key kind gets exactly the same answer through either.
 * (Every route is also walked with this header by test/permissions.test.ts and each area's
 * security suite, through test/helpers/security.ts.)
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { expectError } from '../../test/helpers/expect.js';
import { KEY_KINDS } from '../../test/helpers/security.js';

let t: TestApp;
let acc: string;
let jsTarget: string;
before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  await t.services.agents.put(acc, 'a-hero', {
    variations: [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 1 },
    ],
  });
  await t.services.goals.put(acc, 'g-signup', { name: 'Signed up' });
  jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id as string;
});
after(() => t.close());

const withoutVolatile = (body: string) => body.replace(/"lastUsedAt":[^,}]*/g, '');

describe('x-conductrics-apikey gets exactly what Bearer gets', () => {
  for (const kind of KEY_KINDS) {
    test(`${kind} key`, async () => {
      const { secret } = await t.key(kind);
      const requests = [
        { method: 'GET', url: '/v3/keys/self' },
        { method: 'GET', url: `/admin/${acc}/agents` },
        { method: 'GET', url: `/admin/${acc}/agents/a-hero` },
        { method: 'GET', url: `/admin/${acc}/reports/decision-stats/a-hero` },
        { method: 'GET', url: `/admin/${acc}/api-keys` },
        { method: 'PUT', url: `/admin/${acc}/goals/g-signup`, body: { name: 'Signed up' } },
        { method: 'POST', url: `/${acc}/v3/agent-api?session=s-${kind}`, body: { commands: [] } },
        { method: 'GET', url: `/${acc}/v3/agent-api/bundle/${jsTarget}` },
      ] as const;
      for (const request of requests) {
        const bearer = await t.call({ ...request, as: { key: secret, via: 'header' } });
        const header = await t.call({ ...request, as: { key: secret, via: 'conductrics' } });
        const what = `${request.method} ${request.url}`;
        assert.equal(header.statusCode, bearer.statusCode, `${what}: ${header.body}`);
        // a change leaves new timestamps and versions behind: the same answer is its status
        if (request.method === 'GET') {
          assert.equal(withoutVolatile(header.body), withoutVolatile(bearer.body), what);
        }
      }
    });
  }

  test('a deleted key is refused through the header as through Bearer', async () => {
    const { id, secret } = await t.key('admin-read');
    await t.services.keys.deleteKey(acc, id, 'test');
    const res = await t.call({ url: `/admin/${acc}/agents`, headers: { 'x-conductrics-apikey': secret } });
    expectError(res, 403, 'key_deleted');
  });

  test('an empty header presents nothing: 401 credential_missing', async () => {
    const res = await t.call({ url: `/admin/${acc}/agents`, headers: { 'x-conductrics-apikey': ' ' } });
    expectError(res, 401, 'credential_missing');
  });

  test('Bearer is read first: a refused Bearer key is not rescued by the header', async () => {
    const good = await t.key('admin-read');
    const rest = await t.key('rest');
    const res = await t.call({
      url: `/admin/${acc}/agents`,
      headers: { authorization: `Bearer ${rest.secret}`, 'x-conductrics-apikey': good.secret },
    });
    expectError(res, 403, 'wrong_key_kind');
  });
});
