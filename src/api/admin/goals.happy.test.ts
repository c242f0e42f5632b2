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

test('PUT creates the goal of spec 3.3 (201); GET and the list answer it; PUT of the GET changes nothing', async () => {
  const created = await t.call({
    method: 'PUT',
    url: `/admin/${acc}/goals/g-example`,
    as: { key: author },
    body: { code: 'g-example', name: 'Signed up', value: 1 },
  });
  assert.equal(created.statusCode, 201, created.body);
  const { data } = created.json();
  const { createdAt, updatedAt, ...written } = data;
  assert.deepEqual(written, { code: 'g-example', name: 'Signed up', value: 1, version: 1 });
  assert.ok(!Number.isNaN(Date.parse(createdAt)) && updatedAt === createdAt);

  const reader = (await t.key('admin-read')).secret;
  assert.deepEqual((await t.call({ url: `/admin/${acc}/goals/g-example`, as: { key: reader } })).json(), {
    status: 200,
    data,
  });
  assert.deepEqual((await t.call({ url: `/admin/${acc}/goals`, as: { key: reader } })).json(), {
    status: 200,
    data: [data],
  });
  const again = await t.call({
    method: 'PUT',
    url: `/admin/${acc}/goals/g-example`,
    as: { key: author },
    body: data,
  });
  assert.equal(again.statusCode, 200, again.body);
  assert.deepEqual(again.json().data, data);
});

test("a goal's value is what a reward without v credits, as soon as it changes", async () => {
  const put = (value: number) =>
    t.call({ method: 'PUT', url: `/admin/${acc}/goals/g-value`, as: { session: t.admin }, body: { value } });
  assert.equal((await put(5)).statusCode, 201);
  await t.services.agents.put(acc, 'a-valued', { variations: [{ code: 'A' }] });
  const rest = (await t.key('rest')).secret;
  const reward = async (session: string) => {
    const res = await t.call({
      method: 'POST',
      url: `/${acc}/v3/agent-api?session=${session}`,
      as: { key: rest },
      body: { commands: [{ a: 'a-valued' }, { g: 'g-value' }] },
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().data.items[1];
  };
  assert.deepEqual(await reward('first'), { g: 'g-value', rs: [{ a: 'a-valued', v: 5 }] });
  const changed = await put(7.5);
  assert.equal(changed.statusCode, 200);
  assert.equal(changed.json().data.version, 2);
  assert.deepEqual(await reward('second'), { g: 'g-value', rs: [{ a: 'a-valued', v: 7.5 }] });
});

test('DELETE removes the goal and answers it; GET is then 404', async () => {
  await t.services.goals.put(acc, 'g-doomed', { name: 'Doomed' });
  const removed = await t.call({
    method: 'DELETE',
    url: `/admin/${acc}/goals/g-doomed`,
    as: { key: author },
  });
  assert.equal(removed.statusCode, 200, removed.body);
  assert.equal(removed.json().data.name, 'Doomed');
  const gone = await t.call({ url: `/admin/${acc}/goals/g-doomed`, as: { key: author } });
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.json().code, 'goal_not_found');
});
