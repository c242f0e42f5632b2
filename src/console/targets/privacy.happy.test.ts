/** The console's Edit dialog of a JS deploy target sets whether it honours privacy signals. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { getPage, postForm } from '../../../test/helpers/console.js';

let t: TestApp;
let acc: string;
let jsTarget: string;
let restTarget: string;
before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  const targets = await t.services.deployTargets.list(acc);
  jsTarget = targets.find((d) => d.kind === 'js')?.id as string;
  restTarget = targets.find((d) => d.kind === 'rest')?.id as string;
});
after(() => t.close());

const base = () => `/console/${acc}/settings/deploy-targets`;

test('a JS target: the checkbox is offered, and ticking or clearing it is saved', async () => {
  const dialog = await getPage(t, `${base()}/${jsTarget}/edit`, { as: t.admin, htmx: true });
  assert.equal(dialog.statusCode, 200, dialog.body);
  assert.match(dialog.body, /name="honourPrivacySignals"/);
  const on = await postForm(
    t,
    `${base()}/${jsTarget}/edit`,
    { name: 'JS', deployMode: 'automatic', honourPrivacySignals: 'on' },
    { as: t.admin },
  );
  assert.equal(on.statusCode, 200, on.body);
  assert.equal((await t.services.deployTargets.get(acc, jsTarget)).honourPrivacySignals, true);
  const reopened = await getPage(t, `${base()}/${jsTarget}/edit`, { as: t.admin, htmx: true });
  assert.match(reopened.body, /name="honourPrivacySignals"[^>]*checked/);
  await postForm(t, `${base()}/${jsTarget}/edit`, { name: 'JS', deployMode: 'automatic' }, { as: t.admin });
  assert.equal((await t.services.deployTargets.get(acc, jsTarget)).honourPrivacySignals, false);
});

test('a REST target: no such setting is offered', async () => {
  const dialog = await getPage(t, `${base()}/${restTarget}/edit`, { as: t.admin, htmx: true });
  assert.equal(dialog.statusCode, 200, dialog.body);
  assert.doesNotMatch(dialog.body, /honourPrivacySignals/);
});
