import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { InvalidInputError } from '../kernel/errors.js';
import type { AgentInput } from './agents.js';

let t: TestApp;
let acc: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  await t.services.goals.put(acc, 'g-example', { name: 'Signed up' });
});
after(() => t.close());

/** A condition (`then` is the wire format's field name, spelled once here). */
function rule(when: unknown[], variation: string) {
  // biome-ignore lint/suspicious/noThenProperty: `then` is the condition field of the wire format (PRODUCT.md 3.3).
  return { when, then: variation } as { when: never[]; then: string };
}

/** The example agent of spec 3.3. */
const example: AgentInput = {
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

describe('put', () => {
  test('creates the agent of spec 3.3 as written, with the server fields', async () => {
    const startedAt = Date.now();
    const { agent, created } = await t.services.agents.put(acc, 'a-example', example);
    assert.equal(created, true);
    assert.deepEqual(
      { ...agent, createdAt: 0, updatedAt: 0 },
      {
        code: 'a-example',
        name: 'Example',
        status: 'running',
        pausedAt: 'A',
        metaKeys: ['magic'],
        variations: [
          { code: 'A', name: 'Control', weight: 1, meta: { magic: 'Amagic' } },
          { code: 'B', weight: 1, meta: {} },
          { code: 'C', weight: 0, meta: {} },
        ],
        conditions: example.conditions,
        goals: ['g-example'],
        version: 1,
        createdAt: 0,
        updatedAt: 0,
      },
    );
    assert.ok(agent.createdAt >= startedAt && agent.updatedAt === agent.createdAt);
    assert.deepEqual(await t.services.agents.get(acc, 'a-example'), agent);
  });

  test('replaces the agent whole: version + 1, createdAt kept', async () => {
    const first = (await t.services.agents.put(acc, 'a-replace', { variations: [{ code: 'A' }] })).agent;
    const { agent, created } = await t.services.agents.put(acc, 'a-replace', {
      name: 'Replaced',
      status: 'paused',
      variations: [{ code: 'X', weight: 2 }],
    });
    assert.equal(created, false);
    assert.equal(agent.version, 2);
    assert.equal(agent.createdAt, first.createdAt);
    assert.ok(agent.updatedAt >= first.updatedAt);
    assert.equal(agent.name, 'Replaced');
    assert.equal(agent.status, 'paused');
    assert.deepEqual(agent.variations, [{ code: 'X', weight: 2, meta: {} }]);
  });

  test('absent fields take their defaults', async () => {
    const { agent } = await t.services.agents.put(acc, 'a-defaults', {
      variations: [
        { code: 'A', meta: { colour: 'red' } },
        { code: 'B', meta: { size: 'L', colour: 'blue' } },
      ],
    });
    assert.equal(agent.name, 'a-defaults');
    assert.equal(agent.status, 'running');
    assert.equal(agent.pausedAt, null);
    assert.deepEqual(
      agent.metaKeys,
      ['colour', 'size'],
      'the keys the variations use, in order of first use',
    );
    assert.deepEqual(
      agent.variations.map((v) => v.weight),
      [1, 1],
    );
    assert.deepEqual(agent.conditions, []);
    assert.equal(agent.goals, null, 'no list: tracks every goal');
  });

  test('the same definition again changes nothing: same version, no new configuration', async () => {
    const { agent } = await t.services.agents.put(acc, 'a-same', example_('a-same'));
    const version = await t.services.deployments.configurationVersion(acc);
    const withServerFields = { ...example_('a-same'), version: 7, updatedAt: 'x' };
    const again = await t.services.agents.put(acc, 'a-same', withServerFields);
    assert.equal(again.created, false);
    assert.deepEqual(again.agent, agent);
    assert.equal(await t.services.deployments.configurationVersion(acc), version);
  });

  test('metadata and condition values sent as numbers or booleans are kept as strings', async () => {
    const { agent } = await t.services.agents.put(acc, 'a-strings', {
      variations: [{ code: 'A', meta: { price: 9.5, on: true } }],
      conditions: [rule([{ input: 'n', is: 3 }], 'A')],
    });
    assert.deepEqual(agent.variations[0].meta, { price: '9.5', on: 'true' });
    assert.deepEqual(agent.conditions[0].when, [{ input: 'n', is: '3' }]);
  });

  test('a running agent whose weights are all 0 is allowed: only its conditions choose', async () => {
    const { agent } = await t.services.agents.put(acc, 'a-targeting', {
      variations: [
        { code: 'A', weight: 0 },
        { code: 'B', weight: 0 },
      ],
      conditions: [rule([{ trait: 'ua/mo:y' }], 'B'), rule([], 'A')],
    });
    assert.equal(agent.status, 'running');
  });

  test('goal codes listed twice are kept once', async () => {
    const { agent } = await t.services.agents.put(acc, 'a-goals-twice', {
      variations: [{ code: 'A' }],
      goals: ['g-example', 'g-example'],
    });
    assert.deepEqual(agent.goals, ['g-example']);
  });

  test('an empty goal list tracks no goal, and is kept as such', async () => {
    const { agent } = await t.services.agents.put(acc, 'a-no-goals', {
      variations: [{ code: 'A' }],
      goals: [],
    });
    assert.deepEqual(agent.goals, []);
  });
});

function example_(code: string): AgentInput & Record<string, unknown> {
  return { ...example, code };
}

describe('put refuses, naming the field', () => {
  // [what, the field named, a change to the example, the code in the URL]
  const refusals: [string, string, unknown, string?][] = [
    ['a code without a-', 'code', { code: undefined }, 'example'],
    ['a code with a space', 'code', { code: undefined }, 'a-two words'],
    ['a code that is only a-', 'code', { code: undefined }, 'a-'],
    ['a body code other than the URL', 'code', { code: 'a-other' }],
    ['an unknown status', 'status', { status: 'live' }],
    ['no variations', 'variations', { variations: [] }],
    ['variations that are not a list', 'variations', { variations: { A: 1 } }],
    ['a bad variation code', 'variations.1.code', { variations: [{ code: 'A' }, { code: 'B B' }] }],
    [
      'a variation code twice',
      'variations.2.code',
      { variations: [{ code: 'A' }, { code: 'B' }, { code: 'A' }] },
    ],
    ['a negative weight', 'variations.0.weight', { variations: [{ code: 'A', weight: -1 }] }],
    [
      'an infinite weight',
      'variations.0.weight',
      { variations: [{ code: 'A', weight: Number.POSITIVE_INFINITY }] },
    ],
    ['a weight that is not a number', 'variations.0.weight', { variations: [{ code: 'A', weight: '1' }] }],
    ['pausedAt not a variation', 'pausedAt', { pausedAt: 'Z' }],
    [
      'a condition answering no variation',
      'conditions.1.then',
      {
        conditions: [rule([], 'A'), rule([], 'Z')],
      },
    ],
    ['a malformed clause', 'conditions.0.when.0', { conditions: [rule([{ input: 'x' }], 'A')] }],
    [
      'a clause with both input and trait',
      'conditions.0.when.0',
      {
        conditions: [rule([{ input: 'x', is: 'y', trait: 'cust/F:1' }], 'A')],
      },
    ],
    [
      'a trait without its namespace',
      'conditions.0.when.0.trait',
      { conditions: [rule([{ trait: 'F:1' }], 'A')] },
    ],
    ['a metadata key listed twice', 'metaKeys.1', { metaKeys: ['magic', 'magic'] }],
    [
      'metadata not in metaKeys',
      'variations.0.meta.other',
      {
        metaKeys: ['magic'],
        variations: [{ code: 'A', meta: { other: 'x' } }],
        conditions: [],
      },
    ],
    [
      'an object as a metadata value',
      'variations.0.meta.magic',
      {
        variations: [{ code: 'A', meta: { magic: { deep: 1 } } }],
      },
    ],
    ['a goal that does not exist', 'goals.0', { goals: ['g-missing'] }],
    ['a malformed goal code', 'goals.0', { goals: ['signed-up'] }],
    ['an empty name', 'name', { name: '  ' }],
  ];
  for (const [what, field, change, url = 'a-refused'] of refusals) {
    test(what, async () => {
      const input = { ...example_('a-refused'), ...(change as object) } as AgentInput;
      const error = await t.services.agents.put(acc, url, input).then(
        () => assert.fail('accepted'),
        (e: unknown) => e,
      );
      assert.ok(error instanceof InvalidInputError, String(error));
      assert.equal(error.field, field, error.message);
      assert.ok(error.message.length > 10);
    });
  }

  test('nothing was written by the refused puts', async () => {
    await assert.rejects(t.services.agents.get(acc, 'a-refused'), { code: 'agent_not_found' });
  });
});

describe('list, get and remove', () => {
  test('list answers every agent of the account by code, and none of another account', async () => {
    const other = await t.services.accounts.create('Other');
    await t.services.agents.put(other.id, 'a-elsewhere', { variations: [{ code: 'A' }] });
    const codes = (await t.services.agents.list(acc)).map((a) => a.code);
    assert.deepEqual(codes, [...codes].sort());
    assert.ok(codes.includes('a-example'));
    assert.ok(!codes.includes('a-elsewhere'));
    await assert.rejects(t.services.agents.get(acc, 'a-elsewhere'), { code: 'agent_not_found' });
    await assert.rejects(t.services.agents.remove(acc, 'a-elsewhere'), { code: 'agent_not_found' });
    assert.equal((await t.services.agents.get(other.id, 'a-elsewhere')).code, 'a-elsewhere');
  });

  test('remove deletes the agent and answers what it was; its code can be used again', async () => {
    const { agent } = await t.services.agents.put(acc, 'a-doomed', { variations: [{ code: 'A' }] });
    await t.services.agents.put(acc, 'a-doomed', { variations: [{ code: 'B' }] });
    const removed = await t.services.agents.remove(acc, 'a-doomed');
    assert.equal(removed.version, 2);
    await assert.rejects(t.services.agents.get(acc, 'a-doomed'), { code: 'agent_not_found' });
    const again = await t.services.agents.put(acc, 'a-doomed', { variations: [{ code: 'A' }] });
    assert.equal(again.created, true);
    assert.equal(again.agent.version, 1);
    assert.ok(again.agent.createdAt >= agent.createdAt);
  });
});
