/**
 * `{ip}` is the address the server trusts: X-Forwarded-For only when TESSERA_TRUST_PROXY=true
 * (else any visitor could choose someone else's session by sending the header).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { loadConfig } from '../../app/config.js';

async function sessionOf(t: TestApp, key: string, forwardedFor: string): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/${t.account.id}/v3/agent-api?apikey=${key}&session=${encodeURIComponent('{ip}')}`,
    payload: { commands: [] },
    headers: { 'x-forwarded-for': forwardedFor },
    remoteAddress: '10.0.0.1',
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().data.session as string;
}

describe('{ip} behind a proxy', () => {
  let direct: TestApp;
  let proxied: TestApp;
  let directKey: string;
  let proxiedKey: string;
  before(async () => {
    direct = await createTestApp({ config: loadConfig({ ...process.env, TESSERA_TRUST_PROXY: 'false' }) });
    proxied = await createTestApp({ config: loadConfig({ ...process.env, TESSERA_TRUST_PROXY: 'true' }) });
    directKey = (await direct.key('rest')).secret;
    proxiedKey = (await proxied.key('rest')).secret;
  });
  after(async () => {
    await direct.close();
    await proxied.close();
  });

  test('an untrusted X-Forwarded-For does not change the address', async () => {
    assert.equal(
      await sessionOf(direct, directKey, '203.0.113.1'),
      await sessionOf(direct, directKey, '203.0.113.2'),
    );
  });

  test('a trusted proxy passes the visitor address on', async () => {
    assert.notEqual(
      await sessionOf(proxied, proxiedKey, '203.0.113.1'),
      await sessionOf(proxied, proxiedKey, '203.0.113.2'),
    );
  });
});
