import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AccountParams } from '../../web/schemas.js';
import { findBadText } from '../../web/text-input.js';
import {
  oneCommandBody,
  quickBody,
  quickParams,
  quickQuery,
  RuntimeBody,
  RuntimeQuery,
  TargetParams,
} from './runtime-input.js';

const long = (n: number) => 'x'.repeat(n);

// Each input: what the quick check answers must be zod's output, or it must leave it to zod.
const bodies: unknown[] = [
  undefined,
  null,
  {},
  [],
  [{ a: 'a1' }],
  { commands: [{ a: 'a1' }] },
  {
    commands: [
      { a: 'a1', c: ['A', 'B'], x: [], s: 'p', extra: 1 },
      { g: 'g1', v: 2.5 },
    ],
    other: true,
  },
  {
    commands: [
      { g: 'g1', v: -1e9 },
      { g: 'g1', v: 1e9 },
    ],
  },
  { inputs: { color: 'red', n: 3, b: false } },
  { commands: [{ a: 'a1' }], inputs: { [long(256)]: long(4096) } },
  // refusals and unusual shapes: zod answers them
  { commands: [{}] },
  { commands: [{ a: '' }] },
  { commands: [{ a: long(257) }] },
  { commands: [{ a: 'a1', c: [long(257)] }] },
  { commands: [{ a: 'a1', c: Array(1001).fill('A') }] },
  { commands: [{ a: 'a1', s: 'x' }] },
  { commands: [{ g: 'g1', v: 1e9 + 1 }] },
  { commands: [{ g: 'g1', v: '1' }] },
  { commands: [{ a: 1 }] },
  { commands: [null] },
  { commands: Array(101).fill({ a: 'a1' }) },
  { commands: null },
  { commands: {} },
  { inputs: [] },
  { inputs: null },
  { inputs: { [long(257)]: 'x' } },
  { inputs: { k: long(4097) } },
  { inputs: { k: null } },
  { inputs: { k: {} } },
  'text',
  42,
];

const queries: unknown[] = [
  {},
  { session: 's1', apikey: 'k', debug: 'true', ua: 'Mozilla', traits: 'F:1,G:2', other: 'x' },
  { session: '' },
  { session: long(256), traits: long(8192), ua: long(2048) },
  { session: long(257) },
  { traits: long(8193) },
  { traits: ['F:1', 'G:2'] },
  { ua: long(2049) },
  { session: ['a', 'b'] },
  { debug: ['a', 'b'] },
];

const params: unknown[] = [
  { acc: 'acc1' },
  { acc: 'acc1', dt: 'dt1' },
  { acc: '' },
  { acc: long(65) },
  { acc: 'a', dt: '' },
];

function same(
  quick: unknown,
  schema: { safeParse(input: unknown): { success: boolean; data?: unknown } },
  input: unknown,
) {
  const zod = schema.safeParse(input);
  if (quick === undefined) return; // left to zod
  assert.ok(zod.success, `the quick check accepted what zod refuses: ${JSON.stringify(input)}`);
  assert.deepEqual(quick, zod.data, JSON.stringify(input));
}

describe('runtime input: the quick check answers as zod does', () => {
  test('bodies', () => {
    for (const body of bodies) same(quickBody(body), RuntimeBody, body);
    // and it does take the common shapes itself (else it would be no quicker)
    assert.ok(quickBody({ commands: [{ a: 'a1' }] }));
    assert.ok(quickBody(undefined));
  });
  test('bodies recognized in their bytes', () => {
    const recognized = [
      '{"commands":[{"a":"a1"}]}',
      '{"commands":[{"g":"g-signup"}]}',
      `{"commands":[{"a":"${long(256)}"}]}`,
      '{"commands":[{"a":"A.b_c-9"}]}',
    ];
    const others = [
      '',
      '{}',
      '[{"a":"a1"}]',
      '{"commands":[]}',
      '{"commands":[{"a":""}]}',
      `{"commands":[{"a":"${long(257)}"}]}`,
      '{ "commands":[{"a":"a1"}]}',
      '{"commands":[{"a":"a1"}]}\n',
      '{"commands":[{"a":"a\\u00001"}]}',
      '{"commands":[{"a":"a\\u0031"}]}',
      '{"commands":[{"a":"a/1"}]}',
      '{"commands":[{"a":"é"}]}',
      '{"commands":[{"a":"a1"},{"a":"a2"}]}',
      '{"commands":[{"a":"a1","c":["A"]}]}',
      '{"commands":[{"g":"g1","v":2}]}',
      '{"commands":[{"__proto__":"a1"}]}',
      '{"commands":[{"a":"a1"}],"inputs":{}}',
      '{"commands":[{"b":"a1"}]}',
    ];
    for (const text of recognized) {
      const body = oneCommandBody(Buffer.from(text));
      assert.ok(body, `the usual body is recognized: ${text}`);
      // what the JSON parser, the quick check and zod give, and nothing the text check refuses
      const parsed: unknown = JSON.parse(text);
      assert.deepEqual(body, quickBody(parsed), text);
      assert.deepEqual(body, RuntimeBody.parse(parsed), text);
      assert.equal(findBadText(body, 'body'), null);
    }
    for (const text of others) assert.equal(oneCommandBody(Buffer.from(text)), undefined, text);
    // bytes that are not UTF-8 are the parser's to refuse
    assert.equal(
      oneCommandBody(Buffer.from([...Buffer.from('{"commands":[{"a":"'), 0xff, ...Buffer.from('"}]}')])),
      undefined,
    );
  });
  test('query strings', () => {
    for (const query of queries) {
      same(quickQuery(query), RuntimeQuery, query);
      // the router's query object has no prototype
      same(quickQuery(Object.assign(Object.create(null), query)), RuntimeQuery, query);
    }
    assert.ok(quickQuery({ session: 's', apikey: 'k' }));
  });
  test('path parameters', () => {
    for (const p of params) {
      same(quickParams(p, false), AccountParams, p);
      same(quickParams(p, true), TargetParams, p);
    }
  });
});
