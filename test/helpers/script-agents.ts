/**
 * A dozen agents and two goals, as a real account would deploy them (through the agent and goal
 * services, so every automatic target serves them): random allocations of every shape, weight-0
 * variations, conditions on inputs and on traits, metadata, a paused, a stopped and an archived
 * agent. Used by the agreement test, the size budget and the route tests of the script tag.
 */
import type { ConditionClause } from '../../src/agents/snapshot.js';
import type { TestApp } from './app.js';

/** A condition: `then` is the wire format's field name (PRODUCT.md 3.3). */
const rule = (when: ConditionClause[], then: string) => ({ when, then });

export const DOZEN_AGENTS = [
  'a-hero',
  'a-three',
  'a-skew',
  'a-zero',
  'a-plan',
  'a-mobile',
  'a-meta',
  'a-paused',
  'a-stopped',
  'a-five',
  'a-checkout',
  'a-archived',
] as const;

export async function putDozenAgents(t: TestApp, accountId = t.account.id): Promise<void> {
  const { agents, goals } = t.services;
  await goals.put(accountId, 'g-buy', { name: 'Bought', value: 1 });
  await goals.put(accountId, 'g-revenue', { name: 'Revenue', value: 25 });
  const ab = [
    { code: 'A', name: 'Control', weight: 1 },
    { code: 'B', name: 'Challenger', weight: 1 },
  ];
  await agents.put(accountId, 'a-hero', {
    name: 'Hero banner',
    metaKeys: ['headline'],
    variations: [
      { code: 'A', name: 'Control', weight: 1, meta: { headline: 'Welcome back' } },
      { code: 'B', name: 'Bold', weight: 1, meta: { headline: 'Half price today' } },
    ],
    goals: ['g-buy', 'g-revenue'],
  });
  await agents.put(accountId, 'a-three', {
    name: 'Three ways',
    variations: [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 1 },
      { code: 'C', weight: 1 },
    ],
  });
  await agents.put(accountId, 'a-skew', {
    name: 'Mostly control',
    variations: [
      { code: 'A', weight: 9 },
      { code: 'B', weight: 1 },
    ],
    goals: ['g-buy'],
  });
  await agents.put(accountId, 'a-zero', {
    name: 'Weight zero held back',
    variations: [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 1 },
      { code: 'C', weight: 0 },
    ],
    conditions: [rule([{ input: 'plan', is: 'pro' }], 'C')],
  });
  await agents.put(accountId, 'a-plan', {
    name: 'By plan and trait',
    variations: [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 2 },
      { code: 'C', weight: 3 },
    ],
    conditions: [
      rule([{ input: 'plan', is: 'free' }, { trait: 'cust/F:1' }], 'A'),
      rule([{ input: 'plan', is: 'team' }], 'B'),
    ],
  });
  await agents.put(accountId, 'a-mobile', {
    name: 'Mobile layout',
    variations: [
      { code: 'Desktop', weight: 1 },
      { code: 'Mobile', weight: 0 },
    ],
    conditions: [rule([{ trait: 'ua/mo:y' }], 'Mobile')],
  });
  await agents.put(accountId, 'a-meta', {
    name: 'Colours',
    metaKeys: ['color', 'size'],
    variations: [
      { code: 'red', weight: 1, meta: { color: '#c00', size: 'L' } },
      { code: 'green', weight: 1, meta: { color: '#0a0' } },
      { code: 'blue', weight: 1, meta: {} },
    ],
    goals: ['g-revenue'],
  });
  await agents.put(accountId, 'a-paused', {
    name: 'Paused',
    status: 'paused',
    pausedAt: 'B',
    variations: ab,
  });
  await agents.put(accountId, 'a-stopped', { name: 'Stopped', status: 'stopped', variations: ab });
  await agents.put(accountId, 'a-five', {
    name: 'Five unequal',
    variations: [1, 2, 3, 4, 5].map((w) => ({ code: `V${w}`, weight: w })),
  });
  await agents.put(accountId, 'a-checkout', {
    name: 'Checkout flow',
    variations: [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 1 },
      { code: 'C', weight: 1 },
      { code: 'D', weight: 1 },
    ],
    goals: ['g-buy'],
  });
  await agents.put(accountId, 'a-archived', { name: 'Old test', status: 'archived', variations: ab });
}

// ---- aiming (docs/targeting.md) ------------------------------------------------------------------

/** Agents using every rule operator, visitor facts, eligibility, an exclusion group and a custom trait. */
export const AIMED_AGENTS = ['a-rules', 'a-eligible', 'a-group-1', 'a-group-2', 'a-group-3'] as const;

export async function putAimedAgents(t: TestApp, accountId = t.account.id): Promise<void> {
  const { agents, traits } = t.services;
  // A custom trait derived from inputs, which the eligibility below reads.
  await traits.put(accountId, 'size', {
    rules: [
      { value: 'large', when: [{ input: 'seats', op: 'gte', value: '25' }] },
      { value: 'small', when: [] },
    ],
  });
  const codes = ['A', 'B', 'C', 'D', 'E', 'F', 'G'];
  const only = (match: 'all' | 'any', when: ConditionClause[], then: string) => ({
    ...rule(when, then),
    match,
  });
  await agents.put(accountId, 'a-rules', {
    variations: codes.map((code) => ({ code, weight: code === 'A' ? 1 : 0 })),
    conditions: [
      rule(
        [
          { input: 'plan', op: 'in', values: ['pro', 'team'] },
          { input: 'seats', op: 'gte', value: '10' },
        ],
        'B',
      ),
      only(
        'any',
        [
          { input: 'url', op: 'contains', value: 'sale' },
          { trait: 'cust/tier', op: 'eq', value: 'gold' },
        ],
        'C',
      ),
      rule(
        [
          { input: 'url', op: 'startsWith', value: '/shop' },
          { input: 'seats', op: 'lt', value: '5' },
        ],
        'D',
      ),
      rule(
        [
          { visitor: 'weekday', op: 'in', values: ['sat', 'sun'] },
          { visitor: 'hour', op: 'gt', value: '12' },
        ],
        'E',
      ),
      rule(
        [
          { visitor: 'status', op: 'eq', value: 'returning' },
          { input: 'country', op: 'notExists' },
        ],
        'F',
      ),
      rule(
        [
          { input: 'plan', op: 'neq', value: 'free' },
          { trait: 'ua/mo', op: 'eq', value: 'y' },
          { input: 'seats', op: 'lte', value: '3' },
        ],
        'G',
      ),
    ],
  });
  await agents.put(accountId, 'a-eligible', {
    pausedAt: 'B',
    variations: [{ code: 'A' }, { code: 'B' }, { code: 'C' }],
    eligibility: {
      match: 'any',
      rules: [
        { input: 'country', op: 'in', values: ['FR', 'DE'] },
        { trait: 'cust/beta', op: 'exists' },
        { input: 'seats', op: 'gt', value: '50' },
        { trait: 'cust/size', op: 'eq', value: 'large' },
      ],
    },
  });
  for (const [code, weight] of [
    ['a-group-1', 50],
    ['a-group-2', 30],
    ['a-group-3', 20],
  ] as const) {
    await agents.put(accountId, code, {
      variations: [{ code: 'A' }, { code: 'B' }],
      exclusion: { group: 'checkout', weight },
      ...(code === 'a-group-3'
        ? {
            eligibility: {
              match: 'all' as const,
              rules: [{ input: 'plan', op: 'neq' as const, value: 'free' }],
            },
          }
        : {}),
    });
  }
}
