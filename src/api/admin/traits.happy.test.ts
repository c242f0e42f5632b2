import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';

let t: TestApp;
let acc: string;
let author: string;
let rest: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  author = (await t.key('admin-author')).secret;
  rest = (await t.key('rest')).secret;
});
after(() => t.close());

const plan = {
  rules: [
    { value: 'pro', when: [{ input: 'plan', op: 'in', values: ['pro', 'team'] }] },
    {
      value: 'big',
      when: [{ input: 'seats', op: 'gte', value: 100 }, { trait: 'cust/beta:y' }],
      match: 'any',
    },
  ],
};

function ask(session: string, inputs: Record<string, string>, extra = '') {
  return t.call({
    method: 'POST',
    url: `/${acc}/v3/agent-api?session=${session}${extra}`,
    as: { key: rest },
    body: { commands: [{ a: 'a-by-plan' }], inputs },
  });
}

test('PUT creates a trait (201); GET and the list answer it; PUT of what GET answered changes nothing', async () => {
  const url = `/admin/${acc}/traits/plan`;
  const created = await t.call({ method: 'PUT', url, as: { key: author }, body: plan });
  assert.equal(created.statusCode, 201, created.body);
  const record = created.json().data;
  assert.equal(record.group, 'plan');
  assert.deepEqual(record.rules[1].when[0], { input: 'seats', op: 'gte', value: '100' });
  const reader = (await t.key('admin-read')).secret;
  const got = await t.call({ url, as: { key: reader } });
  assert.deepEqual(got.json().data, record);
  const list = await t.call({ url: `/admin/${acc}/traits`, as: { key: reader } });
  assert.deepEqual(list.json().data, [record]);
  const again = await t.call({ method: 'PUT', url, as: { key: author }, body: record });
  assert.equal(again.statusCode, 200);
  assert.equal(again.json().data.version, record.version);
});

test('the runtime applies it on every request: echoed in traits, logged, usable in conditions; the first rule that holds wins', async () => {
  await t.services.agents.put(acc, 'a-by-plan', {
    variations: [{ code: 'A' }, { code: 'B', weight: 0 }],
    // biome-ignore lint/suspicious/noThenProperty: `then` is the condition field of the wire format (PRODUCT.md 3.3).
    conditions: [{ when: [{ trait: 'cust/plan:pro' }], then: 'B' }],
  });
  const pro = (await ask('tr-1', { plan: 'team', seats: '500' }, '&debug=true')).json().data;
  assert.deepEqual(pro.traits, ['cust/plan:pro']);
  assert.ok(pro.log.includes("Added trait 'cust/plan:pro' (rule)"), pro.log.join('\n'));
  assert.equal(pro.items[0].c, 'B');
  assert.equal(pro.items[0].p, 'f');
  const big = (await ask('tr-2', { plan: 'free' }, '&traits=beta:y')).json().data;
  assert.deepEqual(big.traits, ['cust/beta:y', 'cust/plan:big']);
  assert.equal(big.items[0].p, 'r');
  const none = (await ask('tr-3', { plan: 'free' })).json().data;
  assert.deepEqual(none.traits, []);
});

test('the bundle carries it, and DELETE removes it from the next snapshot', async () => {
  const js = (await t.key('js')).secret;
  const jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id;
  const bundle = await t.call({ url: `/${acc}/v3/agent-api/bundle/${jsTarget}?apikey=${js}` });
  assert.equal(bundle.json().data.traits[0].group, 'plan');
  const gone = await t.call({ method: 'DELETE', url: `/admin/${acc}/traits/plan`, as: { key: author } });
  assert.equal(gone.statusCode, 200);
  assert.equal(gone.json().data.group, 'plan');
  const after = (await ask('tr-4', { plan: 'pro' })).json().data;
  assert.deepEqual(after.traits, []);
  const missing = await t.call({ url: `/admin/${acc}/traits/plan`, as: { key: author } });
  assert.equal(missing.statusCode, 404);
});
