import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectError } from '../../../test/helpers/expect.js';

let t: TestApp;
let acc: string;
let restTarget: string;
let jsTarget: string;
before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  const targets = await t.services.deployTargets.list(acc);
  restTarget = targets.find((d) => d.kind === 'rest')?.id as string;
  jsTarget = targets.find((d) => d.kind === 'js')?.id as string;
});
after(() => t.close());

const call = (method: 'PATCH' | 'POST', url: string, body: unknown) =>
  t.call({ method, url, as: { session: t.admin }, body });
const patchJs = (body: unknown) => call('PATCH', `/admin/${acc}/deploy-targets/${jsTarget}`, body);

test('cookieDomain: a domain name such as example.com or .example.com; 400 naming it otherwise', async () => {
  for (const bad of [
    'localhost',
    'example',
    'exa mple.com',
    'https://example.com',
    'example.com/',
    '-a.example.com',
    'a..example.com',
    'example.com.',
    `${'a'.repeat(64)}.com`,
    '*.example.com',
  ]) {
    expectError(
      await patchJs({ visitorStorage: 'cookie', cookieDomain: bad }),
      400,
      'invalid_input',
      'body.cookieDomain',
    );
  }
  expectError(
    await patchJs({ visitorStorage: 'cookie', cookieDomain: 42 }),
    400,
    'invalid_input',
    'body.cookieDomain',
  );
  assert.equal(
    (await t.services.deployTargets.get(acc, jsTarget)).visitorStorage,
    'localStorage',
    'nothing changed',
  );
});

test('cookieDomain needs cookie storage: 400 naming it with localStorage', async () => {
  expectError(await patchJs({ cookieDomain: 'example.com' }), 400, 'invalid_input', 'body.cookieDomain');
  expectError(
    await patchJs({ visitorStorage: 'localStorage', cookieDomain: 'example.com' }),
    400,
    'invalid_input',
    'body.cookieDomain',
  );
});

test('visitorStorage: localStorage or cookie; 400 naming it otherwise', async () => {
  expectError(
    await patchJs({ visitorStorage: 'sessionStorage' }),
    400,
    'invalid_input',
    'body.visitorStorage',
  );
});

test('a REST target keeps nothing in a browser: 400 naming the field', async () => {
  const rest = `/admin/${acc}/deploy-targets/${restTarget}`;
  expectError(
    await call('PATCH', rest, { visitorStorage: 'cookie' }),
    400,
    'invalid_input',
    'body.visitorStorage',
  );
  expectError(
    await call('POST', `/admin/${acc}/deploy-targets`, { name: 'R', kind: 'rest', visitorStorage: 'cookie' }),
    400,
    'invalid_input',
    'body.visitorStorage',
  );
  expectError(
    await call('PATCH', rest, { cookieDomain: 'example.com' }),
    400,
    'invalid_input',
    'body.cookieDomain',
  );
  // what GET answers for a REST target is accepted back
  const res = await call('PATCH', rest, { visitorStorage: 'localStorage', cookieDomain: null });
  assert.equal(res.statusCode, 200, res.body);
});
