import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { getPage, postForm } from '../../../test/helpers/console.js';

let t: TestApp;
let base: string;
before(async () => {
  t = await createTestApp();
  base = `/console/${t.account.id}/traits`;
});
after(() => t.close());

test('a person creates, views and deletes a custom trait from the Traits screen', async () => {
  const me = await t.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  const empty = await getPage(t, base, { as: me });
  assert.equal(empty.statusCode, 200);
  assert.match(empty.body, /No custom traits yet/);
  const rules = JSON.stringify([
    { value: 'pro', when: [{ input: 'plan', op: 'in', values: ['pro', 'team'] }] },
  ]);
  const saved = await postForm(t, base, { group: 'plan', rules }, { as: me });
  assert.equal(saved.statusCode, 204, saved.body);
  assert.equal(saved.headers['hx-redirect'], `${base}/plan`);
  assert.deepEqual((await t.services.traits.get(t.account.id, 'plan')).rules[0].value, 'pro');
  const page = await getPage(t, `${base}/plan`, { as: me });
  assert.match(page.body, /cust\/plan/);
  assert.match(page.body, /plan in pro, team/);
  const gone = await postForm(t, `${base}/plan/delete`, {}, { as: me });
  assert.equal(gone.statusCode, 204);
  assert.deepEqual(await t.services.traits.list(t.account.id), []);
});

test('rules that are not JSON, or a wrong rule: refused (422, the form keeps its message) with what to fix', async () => {
  const me = await t.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  const notJson = await postForm(t, base, { group: 'plan', rules: '[{' }, { as: me });
  assert.equal(notJson.statusCode, 422);
  assert.match(notJson.body, /rules must be JSON/);
  const wrong = await postForm(
    t,
    base,
    { group: 'plan', rules: JSON.stringify([{ value: 'x', when: [{ input: 'a', op: 'near' }] }]) },
    { as: me },
  );
  assert.equal(wrong.statusCode, 422);
  assert.match(wrong.body, /op is one of eq, neq/);
});
