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

test('honourPrivacySignals: a JS target setting, a boolean; 400 naming it otherwise', async () => {
  expectError(
    await call('PATCH', `/admin/${acc}/deploy-targets/${restTarget}`, { honourPrivacySignals: true }),
    400,
    'invalid_input',
    'body.honourPrivacySignals',
  );
  expectError(
    await call('POST', `/admin/${acc}/deploy-targets`, {
      name: 'R',
      kind: 'rest',
      honourPrivacySignals: true,
    }),
    400,
    'invalid_input',
    'body.honourPrivacySignals',
  );
  expectError(
    await call('PATCH', `/admin/${acc}/deploy-targets/${jsTarget}`, { honourPrivacySignals: 'yes' }),
    400,
    'invalid_input',
    'body.honourPrivacySignals',
  );
});
