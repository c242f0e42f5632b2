import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';

let t: TestApp;
let acc: string;
let author: string;
let reader: string;
let runtimeKey: string;

/** A condition (`then` is the wire format's field name, spelled once here). */
function rule(when: unknown[], variation: string) {
  // biome-ignore lint/suspicious/noThenProperty: `then` is the condition field of the wire format (PRODUCT.md 3.3).
  return { when, then: variation };
}

/** The example agent of spec 3.3, exactly as written there. */
const example = {
  code: 'a-example',
  name: 'Example',
  status: 'running',
  pausedAt: 'A',
  metaKeys: ['magic'],
  variations: [
    { code: 'A', name: 'Control', weight: 1, meta: { magic: 'Amagic' } },
    { code: 'B', weight: 1 },
    { code: 'C', weight: 0 },
  ],
  conditions: [rule([{ input: 'foo', is: 'bar' }], 'C'), rule([{ trait: 'cust/F:1' }], 'A')],
  goals: ['g-example'],
};

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  author = (await t.key('admin-author')).secret;
  reader = (await t.key('admin-read')).secret;
  runtimeKey = (await t.key('rest')).secret;
  const goal = await t.call({
    method: 'PUT',
    url: `/admin/${acc}/goals/g-example`,
    as: { key: author },
    body: { code: 'g-example', name: 'Signed up', value: 1 },
  });
  assert.equal(goal.statusCode, 201, goal.body);
});
after(() => t.close());

async function runtime(commands: unknown[], query = '', target = '') {
  const res = await t.call({
    method: 'POST',
    url: `/${acc}/v3/agent-api${target ? `/${target}` : ''}?session=s-${Math.random()}${query}`,
    as: { key: runtimeKey, via: 'query' },
    body: { commands },
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().data.items as Record<string, unknown>[];
}

describe('the agent resource of spec 3.3 over the Admin API', () => {
  let created: Record<string, unknown>;

  test('PUT creates it (201) and answers it as written, with the server fields', async () => {
    const res = await t.call({
      method: 'PUT',
      url: `/admin/${acc}/agents/a-example`,
      as: { key: author },
      body: example,
    });
    assert.equal(res.statusCode, 201, res.body);
    const body = res.json();
    assert.equal(body.status, 201);
    created = body.data;
    const { version, createdAt, updatedAt, ...written } = created;
    assert.deepEqual(written, {
      ...example,
      variations: [
        { code: 'A', name: 'Control', weight: 1, meta: { magic: 'Amagic' } },
        { code: 'B', weight: 1, meta: {} },
        { code: 'C', weight: 0, meta: {} },
      ],
    });
    assert.equal(version, 1);
    assert.equal(typeof createdAt, 'string');
    assert.equal(updatedAt, createdAt);
    assert.ok(!Number.isNaN(Date.parse(createdAt as string)));
  });

  test('GET answers the same record, to a read-only key too; the list holds it', async () => {
    const one = await t.call({ url: `/admin/${acc}/agents/a-example`, as: { key: reader } });
    assert.equal(one.statusCode, 200, one.body);
    assert.deepEqual(one.json(), { status: 200, data: created });
    const list = await t.call({ url: `/admin/${acc}/agents`, as: { key: reader } });
    assert.equal(list.statusCode, 200);
    assert.deepEqual(list.json(), { status: 200, data: [created] });
  });

  test('PUT accepts back what GET returned: 200, nothing changes', async () => {
    const got = (await t.call({ url: `/admin/${acc}/agents/a-example`, as: { key: author } })).json().data;
    const res = await t.call({
      method: 'PUT',
      url: `/admin/${acc}/agents/a-example`,
      as: { key: author },
      body: got,
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().data, created);
  });

  test('PUT of a changed GET replaces it: 200, version 2, server fields from the body ignored', async () => {
    const got = (await t.call({ url: `/admin/${acc}/agents/a-example`, as: { key: author } })).json().data;
    const res = await t.call({
      method: 'PUT',
      url: `/admin/${acc}/agents/a-example`,
      as: { session: t.admin },
      body: { ...got, name: 'Renamed', version: 41, createdAt: '2001-01-01T00:00:00.000Z' },
    });
    assert.equal(res.statusCode, 200, res.body);
    const data = res.json().data;
    assert.equal(data.name, 'Renamed');
    assert.equal(data.version, 2);
    assert.equal(data.createdAt, created.createdAt);
  });
});

describe('what the runtime answers follows the deployments', () => {
  test('a change reaches the automatic REST target at once', async () => {
    const [item] = await runtime([{ a: 'a-example' }], '&traits=F:1');
    assert.deepEqual(item, { a: 'a-example', c: 'A', p: 'f', s: 'ok', md: { magic: 'Amagic' } });
    const paused = await t.call({
      method: 'PUT',
      url: `/admin/${acc}/agents/a-example`,
      as: { key: author },
      body: { ...example, status: 'paused', pausedAt: 'B' },
    });
    assert.equal(paused.statusCode, 200, paused.body);
    const [pausedItem] = await runtime([{ a: 'a-example' }]);
    assert.deepEqual(pausedItem, { a: 'a-example', c: 'B', p: 'p', s: 'ok', md: { magic: '' } });
  });

  test('staging runs ahead of production until production is deployed', async () => {
    const created = await t.call({
      method: 'POST',
      url: `/admin/${acc}/deploy-targets`,
      as: { session: t.admin },
      body: { name: 'Production', kind: 'rest', deployMode: 'manual' },
    });
    assert.equal(created.statusCode, 201, created.body);
    const production = created.json().data;
    assert.equal(production.deployedVersion, null);
    assert.equal(production.deployedAt, null);
    assert.deepEqual(await runtime([{ a: 'a-staged' }], '', production.code), []);

    const put = await t.call({
      method: 'PUT',
      url: `/admin/${acc}/agents/a-staged`,
      as: { key: author },
      body: { variations: [{ code: 'only', meta: {} }] },
    });
    assert.equal(put.statusCode, 201, put.body);
    assert.equal((await runtime([{ a: 'a-staged' }]))[0]?.c, 'only', 'the staging (automatic) target has it');
    assert.deepEqual(await runtime([{ a: 'a-staged' }], '', production.code), [], 'production does not yet');

    const deployed = await t.call({
      method: 'POST',
      url: `/admin/${acc}/deploy-targets/${production.code}/deploy`,
      as: { key: author },
    });
    assert.equal(deployed.statusCode, 200, deployed.body);
    const record = deployed.json().data;
    assert.equal(record.code, production.code);
    assert.equal(typeof record.deployedVersion, 'number');
    assert.ok(!Number.isNaN(Date.parse(record.deployedAt)));
    assert.equal((await runtime([{ a: 'a-staged' }], '', production.code))[0]?.c, 'only');

    const listed = await t.call({ url: `/admin/${acc}/deploy-targets`, as: { key: reader } });
    const shown = listed.json().data.find((d: { code: string }) => d.code === production.code);
    assert.equal(shown.deployedVersion, record.deployedVersion);
    assert.equal(shown.deployedAt, record.deployedAt);
  });

  test('DELETE removes the agent (answering it); GET is 404 and the runtime answers no item', async () => {
    const removed = await t.call({
      method: 'DELETE',
      url: `/admin/${acc}/agents/a-staged`,
      as: { key: author },
    });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal(removed.json().data.code, 'a-staged');
    const gone = await t.call({ url: `/admin/${acc}/agents/a-staged`, as: { key: author } });
    assert.equal(gone.statusCode, 404);
    assert.equal(gone.json().code, 'agent_not_found');
    assert.deepEqual(await runtime([{ a: 'a-staged' }]), []);
  });
});

describe('aiming: eligibility, rules with operators and an exclusion group (docs/targeting.md)', () => {
  const aimed = {
    variations: [{ code: 'A' }, { code: 'B' }],
    eligibility: {
      match: 'any',
      rules: [
        { input: 'plan', op: 'in', values: ['pro', 'team'] },
        { visitor: 'status', op: 'eq', value: 'returning' },
      ],
    },
    conditions: [
      {
        when: [
          { input: 'foo', is: 'bar' },
          { trait: 'cust/seats', op: 'gte', value: 10 },
        ],
        match: 'any',
        // biome-ignore lint/suspicious/noThenProperty: `then` is the condition field of the wire format (PRODUCT.md 3.3).
        then: 'B',
      },
    ],
    exclusion: { group: 'checkout', weight: 30 },
  };

  test('PUT keeps them, GET answers them, PUT of what GET answered changes nothing, the runtime applies them', async () => {
    const author = (await t.key('admin-author')).secret;
    const url = `/admin/${t.account.id}/agents/a-aimed`;
    const created = await t.call({ method: 'PUT', url, as: { key: author }, body: aimed });
    assert.equal(created.statusCode, 201, created.body);
    const record = created.json().data;
    assert.deepEqual(record.eligibility, aimed.eligibility);
    assert.deepEqual(record.exclusion, aimed.exclusion);
    assert.deepEqual(record.conditions[0].when[1], { trait: 'cust/seats', op: 'gte', value: '10' });
    assert.equal(record.conditions[0].match, 'any');
    const again = await t.call({ method: 'PUT', url, as: { key: author }, body: record });
    assert.equal(again.statusCode, 200, again.body);
    assert.equal(again.json().data.version, record.version);

    const rest = (await t.key('rest')).secret;
    const ask = (session: string, plan: string) =>
      t.call({
        method: 'POST',
        url: `/${t.account.id}/v3/agent-api?session=${session}`,
        as: { key: rest },
        body: { commands: [{ a: 'a-aimed' }], inputs: { plan } },
      });
    const outside = (await ask('aim-1', 'free')).json().data.items[0];
    assert.equal(outside.p, 'x');
    assert.equal(outside.c, 'A');
    const inside = (await ask('aim-2', 'pro')).json().data.items[0];
    assert.equal(inside.p, 'r');
  });
});
