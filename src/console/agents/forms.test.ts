import assert from 'node:assert/strict';
import { test } from 'node:test';
import { InvalidInputError } from '../../kernel/errors.js';
import { agentInputFromForm } from './forms.js';

test('the agent editor’s fields become the Admin API’s agent input; blank rows are ignored', () => {
  const input = agentInputFromForm({
    name: ' Hero ',
    status: 'paused',
    pausedAt: 'B',
    mk0: 'color',
    mk1: '',
    mk2: 'size',
    'v0.code': 'A',
    'v0.name': '',
    'v0.weight': '',
    'v0.meta.0': 'blue',
    'v0.meta.2': '',
    'v1.code': 'B',
    'v1.name': 'Bold',
    'v1.weight': '0.5',
    'v1.meta.0': '',
    'v1.meta.2': 'L',
    'v2.code': '',
    'v2.name': '',
    'v2.weight': '',
    'c0.then': 'B',
    'c0.w0.kind': 'trait',
    'c0.w0.name': 'cust/F',
    'c0.w0.value': '1',
    'c0.w1.kind': 'input',
    'c0.w1.name': 'plan',
    'c0.w1.value': 'pro',
    'c0.w2.kind': 'input',
    'c0.w2.name': '',
    'c0.w2.value': '',
    'c1.then': 'A',
    'c2.then': '',
    'c2.w0.kind': 'input',
    'c2.w0.name': '',
    'c2.w0.value': '',
    goalsMode: 'some',
    goals: ['g-a', 'g-b'],
  });
  assert.deepEqual(input, {
    name: 'Hero',
    status: 'paused',
    pausedAt: 'B',
    metaKeys: ['color', 'size'],
    variations: [
      { code: 'A', weight: 1, meta: { color: 'blue' } },
      { code: 'B', name: 'Bold', weight: 0.5, meta: { size: 'L' } },
    ],
    conditions: [
      // biome-ignore lint/suspicious/noThenProperty: the spec names the field; a string is never a thenable
      { when: [{ trait: 'cust/F:1' }, { input: 'plan', is: 'pro' }], then: 'B' },
      // biome-ignore lint/suspicious/noThenProperty: the spec names the field; a string is never a thenable
      { when: [], then: 'A' },
    ],
    goals: ['g-a', 'g-b'],
  });
});

test('every goal unless "only these"; a half-filled row is refused', () => {
  const input = agentInputFromForm({ status: 'running', 'v0.code': 'A', goalsMode: 'all', goals: 'g-a' });
  assert.equal(input.goals, null);
  assert.equal(input.pausedAt, null);
  assert.throws(
    () => agentInputFromForm({ status: 'running', 'v0.code': '', 'v0.name': 'Nameless' }),
    (e) => e instanceof InvalidInputError && e.field === 'variations.0.code',
  );
  assert.throws(
    () => agentInputFromForm({ status: 'running', 'v0.code': 'A', 'v0.weight': 'heavy' }),
    (e) => e instanceof InvalidInputError && e.field === 'variations.0.weight',
  );
  assert.throws(
    () => agentInputFromForm({ 'c0.then': '', 'c0.w0.kind': 'input', 'c0.w0.name': 'x', 'c0.w0.value': '1' }),
    (e) => e instanceof InvalidInputError && e.field === 'conditions.0.then',
  );
});

test('aiming fields: operators, any-of, eligibility and an exclusion group become the agent input', () => {
  const input = agentInputFromForm({
    status: 'running',
    'v0.code': 'A',
    'v0.weight': '1',
    'c0.then': 'A',
    'c0.match': 'any',
    'c0.w0.kind': 'input',
    'c0.w0.name': 'plan',
    'c0.w0.op': 'in',
    'c0.w0.value': 'pro, team',
    'c0.w1.kind': 'visitor',
    'c0.w1.name': 'hour',
    'c0.w1.op': 'gte',
    'c0.w1.value': '18',
    'e.match': 'all',
    'e.w0.kind': 'trait',
    'e.w0.name': 'cust/beta',
    'e.w0.op': 'exists',
    'e.w0.value': '',
    'e.w1.kind': 'input',
    'e.w1.name': '',
    'e.w1.op': '',
    'e.w1.value': '',
    'x.group': 'checkout',
    'x.weight': '30',
    qaOnly: 'on',
  });
  assert.equal(input.qaOnly, true);
  assert.deepEqual(input.conditions, [
    {
      when: [
        { input: 'plan', op: 'in', values: ['pro', 'team'] },
        { visitor: 'hour', op: 'gte', value: '18' },
      ],
      match: 'any',
      // biome-ignore lint/suspicious/noThenProperty: `then` is the condition field of the wire format (PRODUCT.md 3.3).
      then: 'A',
    },
  ]);
  assert.deepEqual(input.eligibility, { match: 'all', rules: [{ trait: 'cust/beta', op: 'exists' }] });
  assert.deepEqual(input.exclusion, { group: 'checkout', weight: 30 });
  assert.throws(
    () => agentInputFromForm({ 'v0.code': 'A', 'x.group': 'g', 'x.weight': 'lots' }),
    (e: unknown) => e instanceof InvalidInputError && e.field === 'exclusion.weight',
  );
});
