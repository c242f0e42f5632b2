/** The console's Edit dialog of a JS deploy target sets where its script keeps visitors. */
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
const edit = (fields: Record<string, string>) =>
  postForm(
    t,
    `${base()}/${jsTarget}/edit`,
    { name: 'JS', deployMode: 'automatic', ...fields },
    { as: t.admin },
  );
const stored = () => t.services.deployTargets.get(acc, jsTarget);

test('a JS target: the storage choice and the cookie domain are offered and saved', async () => {
  const dialog = await getPage(t, `${base()}/${jsTarget}/edit`, { as: t.admin, htmx: true });
  assert.equal(dialog.statusCode, 200, dialog.body);
  assert.match(dialog.body, /name="visitorStorage" value="localStorage"[^>]*checked/);
  assert.match(dialog.body, /name="cookieDomain"/);
  const on = await edit({ visitorStorage: 'cookie', cookieDomain: 'example.com' });
  assert.equal(on.statusCode, 200, on.body);
  assert.equal((await stored()).visitorStorage, 'cookie');
  assert.equal((await stored()).cookieDomain, 'example.com');
  const reopened = await getPage(t, `${base()}/${jsTarget}/edit`, { as: t.admin, htmx: true });
  assert.match(reopened.body, /name="visitorStorage" value="cookie"[^>]*checked/);
  assert.match(reopened.body, /name="cookieDomain"[^>]*value="example.com"/);
  // an empty domain: the page's own host name
  await edit({ visitorStorage: 'cookie', cookieDomain: '' });
  assert.equal((await stored()).cookieDomain, null);
  // back to localStorage: the domain still in the (hidden) field is not kept
  await edit({ visitorStorage: 'cookie', cookieDomain: 'example.com' });
  assert.equal((await edit({ visitorStorage: 'localStorage', cookieDomain: 'example.com' })).statusCode, 200);
  assert.equal((await stored()).visitorStorage, 'localStorage');
  assert.equal((await stored()).cookieDomain, null);
});

test('a JS target: a cookie domain that is not a domain is refused, naming the field', async () => {
  const res = await edit({ visitorStorage: 'cookie', cookieDomain: 'not a domain' });
  assert.notEqual(res.statusCode, 200);
  assert.match(res.body, /cookie domain must be a domain/);
  assert.equal((await stored()).visitorStorage, 'localStorage', 'nothing saved');
});

test('a REST target: no such setting is offered', async () => {
  const dialog = await getPage(t, `${base()}/${restTarget}/edit`, { as: t.admin, htmx: true });
  assert.equal(dialog.statusCode, 200, dialog.body);
  assert.doesNotMatch(dialog.body, /visitorStorage|cookieDomain/);
});
