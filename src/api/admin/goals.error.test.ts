import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';

let t: TestApp;
let acc: string;
let author: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  author = (await t.key('admin-author')).secret;
});
after(() => t.close());

const put = (code: string, body: unknown, headers: Record<string, string> = {}) =>
  t.call({ method: 'PUT', url: `/admin/${acc}/goals/${code}`, as: { key: author }, body, headers });

test('PUT answers 400 naming the field', async () => {
  const cases: [string, unknown, string][] = [
    ['signed-up', {}, 'params.g'],
    ['g-', {}, 'params.g'],
    ['g-x', { code: 'g-y' }, 'body.code'],
    ['g-x', { value: 'one' }, 'body.value'],
    ['g-x', { value: null }, 'body.value'],
    // Reports keep sums of values and of their squares: bounded values keep them finite.
    ['g-x', { value: 1e200 }, 'body.value'],
    ['g-x', { value: -1_000_000_001 }, 'body.value'],
    ['g-x', { name: '' }, 'body.name'],
  ];
  for (const [code, body, field] of cases) {
    const res = await put(code, body);
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().code, 'invalid_input');
    assert.equal(res.json().field, field, res.body);
  }
  const infinite = await put('g-x', '{"value": 1e999}', { 'content-type': 'application/json' });
  assert.equal(infinite.statusCode, 400, infinite.body);
  assert.equal(infinite.json().field, 'body.value');
  assert.deepEqual((await t.call({ url: `/admin/${acc}/goals`, as: { key: author } })).json().data, []);
});

test('DELETE of a goal an agent lists is 409 goal_in_use, naming the agent', async () => {
  await t.services.goals.put(acc, 'g-held', {});
  await t.services.agents.put(acc, 'a-holder', { variations: [{ code: 'A' }], goals: ['g-held'] });
  const res = await t.call({ method: 'DELETE', url: `/admin/${acc}/goals/g-held`, as: { key: author } });
  assert.equal(res.statusCode, 409, res.body);
  assert.equal(res.json().code, 'goal_in_use');
  assert.match(res.json().err, /a-holder/);
  assert.equal((await t.call({ url: `/admin/${acc}/goals/g-held`, as: { key: author } })).statusCode, 200);
});

test('GET and DELETE of an unknown goal are 404 goal_not_found', async () => {
  for (const method of ['GET', 'DELETE'] as const) {
    const res = await t.call({ method, url: `/admin/${acc}/goals/g-missing`, as: { key: author } });
    assert.equal(res.statusCode, 404, res.body);
    assert.equal(res.json().code, 'goal_not_found');
  }
});
