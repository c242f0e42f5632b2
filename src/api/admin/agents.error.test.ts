import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';

let t: TestApp;
let acc: string;
let author: string;

/** A condition (`then` is the wire format's field name, spelled once here). */
function rule(when: unknown, variation: unknown) {
  // biome-ignore lint/suspicious/noThenProperty: `then` is the condition field of the wire format (PRODUCT.md 3.3).
  return { when, then: variation };
}

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  author = (await t.key('admin-author')).secret;
});
after(() => t.close());

const valid = { variations: [{ code: 'A' }, { code: 'B' }] };

function put(code: string, body: unknown, headers: Record<string, string> = {}) {
  return t.call({ method: 'PUT', url: `/admin/${acc}/agents/${code}`, as: { key: author }, body, headers });
}

describe('PUT answers 400 naming the field a person must fix', () => {
  const cases: [string, string, unknown, string?][] = [
    ['an agent code without a-', 'params.a', valid, 'example'],
    // Past the router's old 100-character limit a long code was a bare 414; the schema names it.
    ['an agent code of 101 characters', 'params.a', valid, `a-${'x'.repeat(99)}`],
    [
      'a metadata key __proto__ (md could not carry it)',
      'body.metaKeys.0',
      { ...valid, metaKeys: ['__proto__'] },
    ],
    ['a body code other than the URL', 'body.code', { ...valid, code: 'a-other' }],
    ['no variations', 'body.variations', {}],
    ['an empty variation list', 'body.variations', { variations: [] }],
    ['a variation without a code', 'body.variations.0.code', { variations: [{ weight: 1 }] }],
    ['a variation code twice', 'body.variations.1.code', { variations: [{ code: 'A' }, { code: 'A' }] }],
    [
      'a negative weight',
      'body.variations.1.weight',
      { variations: [{ code: 'A' }, { code: 'B', weight: -0.5 }] },
    ],
    ['a weight as a string', 'body.variations.0.weight', { variations: [{ code: 'A', weight: '1' }] }],
    [
      'weights so large their sum is not finite',
      'body.variations.0.weight',
      {
        variations: [
          { code: 'A', weight: 1e308 },
          { code: 'B', weight: 1e308 },
        ],
      },
    ],
    [
      'a weight over a million',
      'body.variations.0.weight',
      { variations: [{ code: 'A', weight: 1_000_001 }] },
    ],
    [
      'metadata with more than 100 different keys (what GET answers must go back through PUT)',
      'body.variations',
      {
        variations: [
          { code: 'A', meta: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`a${i}`, 'x'])) },
          { code: 'B', meta: Object.fromEntries(Array.from({ length: 60 }, (_, i) => [`b${i}`, 'x'])) },
        ],
      },
    ],
    ['an unknown status', 'body.status', { ...valid, status: 'live' }],
    ['pausedAt naming no variation', 'body.pausedAt', { ...valid, pausedAt: 'C' }],
    [
      'a condition answering no variation',
      'body.conditions.0.then',
      { ...valid, conditions: [rule([], 'C')] },
    ],
    [
      'a condition whose when is not a list',
      'body.conditions.0.when',
      { ...valid, conditions: [rule({}, 'A')] },
    ],
    [
      'a clause of neither kind',
      'body.conditions.0.when.0',
      { ...valid, conditions: [rule([{ cookie: 'x' }], 'A')] },
    ],
    [
      'metadata outside metaKeys',
      'body.variations.0.meta.size',
      {
        metaKeys: ['colour'],
        variations: [{ code: 'A', meta: { size: 'L' } }],
      },
    ],
    // aiming (docs/targeting.md): the wrong field of a rule is named
    [
      'an eligibility rule with an unknown op',
      'body.eligibility.rules.2.op',
      {
        ...valid,
        eligibility: {
          rules: [
            { input: 'plan', op: 'eq', value: 'pro' },
            { input: 'plan', is: 'pro' },
            { input: 'plan', op: 'like', value: 'p' },
          ],
        },
      },
    ],
    [
      'a numeric rule on text',
      'body.conditions.0.when.0.value',
      { ...valid, conditions: [rule([{ input: 'n', op: 'gt', value: 'ten' }], 'A')] },
    ],
    [
      'in without values',
      'body.conditions.0.when.0.values',
      { ...valid, conditions: [rule([{ input: 'n', op: 'in', value: 'x' }], 'A')] },
    ],
    [
      'exists with a value',
      'body.eligibility.rules.0.value',
      { ...valid, eligibility: { rules: [{ trait: 'cust/plan', op: 'exists', value: 'x' }] } },
    ],
    [
      'a rule with two subjects',
      'body.eligibility.rules.0',
      { ...valid, eligibility: { rules: [{ input: 'a', trait: 'cust/b', op: 'exists' }] } },
    ],
    [
      'an unknown weekday',
      'body.eligibility.rules.0.values',
      { ...valid, eligibility: { rules: [{ visitor: 'weekday', op: 'in', values: ['mon', 'funday'] }] } },
    ],
    [
      'an unknown visitor fact',
      'body.eligibility.rules.0.visitor',
      { ...valid, eligibility: { rules: [{ visitor: 'mood', op: 'exists' }] } },
    ],
    [
      'a match other than all or any',
      'body.eligibility.match',
      { ...valid, eligibility: { match: 'some', rules: [] } },
    ],
    [
      'a condition match other than all or any',
      'body.conditions.0.match',
      { ...valid, conditions: [{ ...rule([], 'A'), match: 'most' }] },
    ],
    [
      'an exclusion group with spaces',
      'body.exclusion.group',
      { ...valid, exclusion: { group: 'check out' } },
    ],
    [
      'a negative exclusion weight',
      'body.exclusion.weight',
      { ...valid, exclusion: { group: 'g', weight: -1 } },
    ],
    ['an unknown goal', 'body.goals.0', { ...valid, goals: ['g-nowhere'] }],
    ['goals that are not a list', 'body.goals', { ...valid, goals: 'g-x' }],
  ];
  for (const [what, field, body, code = 'a-bad'] of cases) {
    test(what, async () => {
      const res = await put(code, body);
      assert.equal(res.statusCode, 400, res.body);
      const error = res.json();
      assert.equal(error.status, 400);
      assert.equal(error.code, 'invalid_input');
      assert.equal(error.field, field, error.err);
      assert.ok(error.err.startsWith(`${field}: `), error.err);
    });
  }

  test('none of them created anything', async () => {
    const list = await t.call({ url: `/admin/${acc}/agents`, as: { key: author } });
    assert.deepEqual(list.json().data, []);
  });
});

describe('malformed requests are 4xx, never 5xx', () => {
  const bodies: [string, string][] = [
    ['broken JSON', '{"variations": ['],
    ['a JSON array', '[1, 2]'],
    ['a JSON string', '"a-x"'],
    ['null', 'null'],
    ['nested nonsense', '{"variations": [{"code": {"x": 1}}], "conditions": [null], "metaKeys": [1]}'],
    ['a huge weight', '{"variations": [{"code": "A", "weight": 1e999}]}'],
    ['__proto__ in meta', '{"variations": [{"code": "A", "meta": {"__proto__": "x"}}]}'],
  ];
  for (const [what, body] of bodies) {
    test(what, async () => {
      const res = await put('a-malformed', body, { 'content-type': 'application/json' });
      assert.ok(res.statusCode >= 400 && res.statusCode < 500, `${res.statusCode} ${res.body}`);
      assert.equal(typeof res.json().code, 'string');
    });
  }

  test('no body at all', async () => {
    const res = await t.call({ method: 'PUT', url: `/admin/${acc}/agents/a-nobody`, as: { key: author } });
    assert.equal(res.statusCode, 400, res.body);
  });

  test('a body over the limit is 413', async () => {
    const res = await put('a-huge', { ...valid, name: 'x'.repeat(2 * 1024 * 1024) });
    assert.equal(res.statusCode, 413);
  });
});

describe('unknown agents', () => {
  test('GET and DELETE of an unknown agent are 404 agent_not_found', async () => {
    for (const method of ['GET', 'DELETE'] as const) {
      const res = await t.call({ method, url: `/admin/${acc}/agents/a-missing`, as: { key: author } });
      assert.equal(res.statusCode, 404, res.body);
      assert.equal(res.json().code, 'agent_not_found');
    }
  });

  test('an agent of another account is not found in this one', async () => {
    const other = await t.services.accounts.create('Other');
    await t.services.agents.put(other.id, 'a-theirs', valid);
    const res = await t.call({ url: `/admin/${acc}/agents/a-theirs`, as: { key: author } });
    assert.equal(res.statusCode, 404);
  });
});
