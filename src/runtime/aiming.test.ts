/**
 * Aiming in the engine (docs/targeting.md): rules with operators in conditions, eligibility
 * decided once per session and agent, and mutual-exclusion groups placed by hash.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ConditionClause, Snapshot, SnapshotAgent, SnapshotCondition } from '../agents/snapshot.js';
import { groupMembers, placeInGroup } from './aiming.js';
import { type Command, emptyVisitorState, execute, type SelectionItem, type VisitorState } from './engine.js';

function agent(code: string, over: Partial<SnapshotAgent> = {}): SnapshotAgent {
  return {
    code,
    name: code,
    status: 'running',
    pausedAt: null,
    metaKeys: [],
    variations: [
      { code: 'A', weight: 1, meta: {} },
      { code: 'B', weight: 1, meta: {} },
      { code: 'T', weight: 0, meta: {} },
    ],
    conditions: [],
    goals: null,
    ...over,
  };
}

function when(clauses: ConditionClause[], match?: 'all' | 'any'): SnapshotCondition {
  // biome-ignore lint/suspicious/noThenProperty: `then` is the condition field of the wire format
  return { when: clauses, ...(match ? { match } : {}), then: 'T' };
}

function snap(...agents: SnapshotAgent[]): Snapshot {
  return {
    version: 1,
    agents: Object.fromEntries(agents.map((a) => [a.code, a])),
    goals: { 'g-x': { code: 'g-x', name: 'x', value: 1 } },
  };
}

// 2026-12-05 was a Saturday; 14:30 UTC.
const SATURDAY_1430 = Date.UTC(2026, 11, 5, 14, 30);

function run(
  s: Snapshot,
  opts: {
    inputs?: Record<string, string>;
    traits?: string[];
    state?: VisitorState;
    commands?: Command[];
    now?: number;
    session?: string;
  } = {},
) {
  return execute(s, opts.state ?? emptyVisitorState(), {
    session: opts.session ?? 's-1',
    commands: opts.commands ?? Object.keys(s.agents).map((a) => ({ a })),
    inputs: opts.inputs ?? {},
    queryTraits: opts.traits ?? [],
    debug: true,
    now: opts.now ?? SATURDAY_1430,
  });
}

const item = (r: ReturnType<typeof run>, a: string) =>
  r.items.find((i): i is SelectionItem => 'a' in i && i.a === a);

describe('rules with operators (targeted selection)', () => {
  const cases: [
    string,
    ConditionClause,
    { inputs?: Record<string, string>; traits?: string[]; now?: number },
    boolean,
  ][] = [
    ['eq holds', { input: 'plan', op: 'eq', value: 'pro' }, { inputs: { plan: 'pro' } }, true],
    ['eq fails', { input: 'plan', op: 'eq', value: 'pro' }, { inputs: { plan: 'free' } }, false],
    [
      'neq holds on another value',
      { input: 'plan', op: 'neq', value: 'pro' },
      { inputs: { plan: 'free' } },
      true,
    ],
    ['neq holds on an absent input', { input: 'plan', op: 'neq', value: 'pro' }, {}, true],
    [
      'neq fails on the value',
      { input: 'plan', op: 'neq', value: 'pro' },
      { inputs: { plan: 'pro' } },
      false,
    ],
    ['in holds', { input: 'plan', op: 'in', values: ['pro', 'team'] }, { inputs: { plan: 'team' } }, true],
    ['in fails', { input: 'plan', op: 'in', values: ['pro', 'team'] }, { inputs: { plan: 'free' } }, false],
    ['contains', { input: 'url', op: 'contains', value: 'sale' }, { inputs: { url: '/x/sale/y' } }, true],
    ['contains fails', { input: 'url', op: 'contains', value: 'sale' }, { inputs: { url: '/x/y' } }, false],
    ['startsWith', { input: 'url', op: 'startsWith', value: '/shop' }, { inputs: { url: '/shop/1' } }, true],
    [
      'startsWith fails',
      { input: 'url', op: 'startsWith', value: '/shop' },
      { inputs: { url: '/a/shop' } },
      false,
    ],
    ['lt numeric (not text order)', { input: 'n', op: 'lt', value: '10' }, { inputs: { n: '9' } }, true],
    ['lt fails', { input: 'n', op: 'lt', value: '10' }, { inputs: { n: '10' } }, false],
    ['lte', { input: 'n', op: 'lte', value: '10' }, { inputs: { n: '10' } }, true],
    ['gt', { input: 'n', op: 'gt', value: '2.5' }, { inputs: { n: '3' } }, true],
    ['gt fails on text', { input: 'n', op: 'gt', value: '2.5' }, { inputs: { n: 'many' } }, false],
    ['gte', { input: 'n', op: 'gte', value: '3' }, { inputs: { n: '3' } }, true],
    ['gte fails on empty', { input: 'n', op: 'gte', value: '0' }, { inputs: { n: '' } }, false],
    ['exists', { input: 'n', op: 'exists' }, { inputs: { n: '' } }, true],
    ['exists fails', { input: 'n', op: 'exists' }, {}, false],
    ['notExists', { input: 'n', op: 'notExists' }, {}, true],
    ['notExists fails', { input: 'n', op: 'notExists' }, { inputs: { n: '1' } }, false],
    ['trait group eq', { trait: 'cust/plan', op: 'eq', value: 'pro' }, { traits: ['plan:pro'] }, true],
    [
      'trait group in',
      { trait: 'cust/plan', op: 'in', values: ['x', 'pro'] },
      { traits: ['plan:pro'] },
      true,
    ],
    ['trait group exists', { trait: 'cust/plan', op: 'exists' }, { traits: ['other:1'] }, false],
    ['ua trait', { trait: 'ua/mo', op: 'eq', value: 'n' }, {}, false],
    ['visitor new', { visitor: 'status', op: 'eq', value: 'new' }, {}, true],
    ['weekday (UTC)', { visitor: 'weekday', op: 'in', values: ['sat', 'sun'] }, {}, true],
    ['weekday fails', { visitor: 'weekday', op: 'eq', value: 'mon' }, {}, false],
    ['hour (UTC)', { visitor: 'hour', op: 'gte', value: '14' }, {}, true],
    ['hour fails', { visitor: 'hour', op: 'lt', value: '14' }, {}, false],
    [
      'hour just before midnight',
      { visitor: 'hour', op: 'eq', value: '23' },
      { now: Date.UTC(2026, 0, 1, 23, 59) },
      true,
    ],
    [
      'weekday of a Thursday',
      { visitor: 'weekday', op: 'eq', value: 'thu' },
      { now: Date.UTC(2026, 0, 1, 0, 0) },
      true,
    ],
    [
      'an unknown op never holds',
      { input: 'n', op: 'near' as 'eq', value: '1' },
      { inputs: { n: '1' } },
      false,
    ],
  ];
  for (const [what, clause, given, holds] of cases) {
    it(what, () => {
      const r = run(snap(agent('a-t', { conditions: [when([clause])] })), given);
      assert.equal(item(r, 'a-t')?.p === 'f', holds, JSON.stringify(r.log));
    });
  }

  it('the first form keeps working, and any/all combine clauses', () => {
    const legacy: ConditionClause[] = [{ input: 'foo', is: 'bar' }, { trait: 'cust/F:1' }];
    const s = snap(
      agent('a-all', { conditions: [when(legacy)] }),
      agent('a-any', { conditions: [when(legacy, 'any')] }),
    );
    const one = run(s, { inputs: { foo: 'bar' } });
    assert.equal(item(one, 'a-all')?.p, 'r');
    assert.equal(item(one, 'a-any')?.p, 'f');
    const both = run(s, { inputs: { foo: 'bar' }, traits: ['F:1'] });
    assert.equal(item(both, 'a-all')?.p, 'f');
    assert.ok(both.log?.some((l) => l.includes('input foo = bar and trait cust/F:1')));
  });

  it('a returning visitor is told apart from a new one', () => {
    const s = snap(
      agent('a-t', { conditions: [when([{ visitor: 'status', op: 'eq', value: 'returning' }])] }),
    );
    const first = run(s, { commands: [{ g: 'g-x' }], traits: ['k:v'] });
    assert.equal(item(run(s), 'a-t')?.p, 'r');
    assert.equal(item(run(s, { state: first.state }), 'a-t')?.p, 'f');
  });

  it('without a time, weekday and hour rules never hold', () => {
    const s = snap(agent('a-t', { conditions: [when([{ visitor: 'hour', op: 'exists' }])] }));
    const r = execute(s, emptyVisitorState(), {
      session: 's',
      commands: [{ a: 'a-t' }],
      inputs: {},
      queryTraits: [],
      debug: false,
    });
    assert.equal(item(r, 'a-t')?.p, 'r');
  });
});

describe('eligibility', () => {
  const eligible = agent('a-e', {
    eligibility: { match: 'all', rules: [{ input: 'country', op: 'in', values: ['FR', 'DE'] }] },
    pausedAt: 'B',
  });
  const s = snap(eligible);

  it('an ineligible visitor gets the paused-at variation with policy x, not remembered as a selection, not counted, not rewarded', () => {
    const r = run(s, { inputs: { country: 'US' }, commands: [{ a: 'a-e' }, { g: 'g-x' }] });
    assert.deepEqual(item(r, 'a-e'), { a: 'a-e', c: 'B', p: 'x', s: 'ok', md: {} });
    assert.deepEqual(r.events, []);
    assert.deepEqual(r.state.selections, {});
    assert.deepEqual(r.state.eligible, { 'a-e': 0 });
    assert.deepEqual(r.items[1], { g: 'g-x', rs: [] });
  });

  it('without paused-at, the first variation', () => {
    const r = run(snap({ ...eligible, pausedAt: null }), { inputs: { country: 'US' } });
    assert.equal(item(r, 'a-e')?.c, 'A');
  });

  it('an eligible visitor takes part and is counted', () => {
    const r = run(s, { inputs: { country: 'FR' } });
    assert.equal(item(r, 'a-e')?.p, 'r');
    assert.equal(r.events.length, 1);
    assert.deepEqual(r.state.eligible, { 'a-e': 1 });
  });

  it('is decided once per session: the visitor does not drift in or out', () => {
    const out = run(s, { inputs: { country: 'US' } });
    assert.equal(item(run(s, { inputs: { country: 'FR' }, state: out.state }), 'a-e')?.p, 'x');
    const inside = run(s, { inputs: { country: 'FR' }, commands: [{ a: 'a-e', s: 'p' }] });
    assert.equal(item(inside, 'a-e')?.p, 'r');
    assert.deepEqual(inside.state.eligible, { 'a-e': 1 });
    // still provisional, the rules no longer hold, yet the visitor stays in
    const later = run(s, { inputs: { country: 'US' }, state: inside.state });
    assert.equal(item(later, 'a-e')?.p, 's');
  });

  it('any of the rules', () => {
    const any = snap({
      ...eligible,
      eligibility: {
        match: 'any',
        rules: [
          { input: 'country', op: 'eq', value: 'FR' },
          { trait: 'cust/beta', op: 'exists' },
        ],
      },
    });
    assert.equal(item(run(any, { traits: ['beta:y'] }), 'a-e')?.p, 'r');
    assert.equal(item(run(any, {}), 'a-e')?.p, 'x');
  });

  it('a paused agent answers as paused, eligibility aside', () => {
    const r = run(snap({ ...eligible, status: 'paused' }), { inputs: { country: 'US' } });
    assert.equal(item(r, 'a-e')?.p, 'p');
  });
});

describe('mutual exclusion', () => {
  const grouped = (code: string, weight: number, group = 'checkout') =>
    agent(code, { exclusion: { group, weight } });

  it(`100,000 sessions land within 1% of the weights 50/30/20, none in two agents`, () => {
    const s = snap(grouped('a-one', 50), grouped('a-two', 30), grouped('a-three', 20), agent('a-free'));
    const counts: Record<string, number> = { 'a-one': 0, 'a-two': 0, 'a-three': 0 };
    const N = 100_000;
    for (let i = 0; i < N; i++) {
      const r = run(s, {
        session: `sim-${i}`,
        commands: [{ a: 'a-one' }, { a: 'a-two' }, { a: 'a-three' }, { a: 'a-free' }],
      });
      const taking = r.items.filter(
        (it): it is SelectionItem => 'a' in it && it.a !== 'a-free' && it.p !== 'x',
      );
      assert.equal(taking.length, 1, `session sim-${i} is in ${taking.length} agents`);
      assert.equal(item(r, 'a-free')?.p, 'r');
      counts[taking[0].a]++;
    }
    const shares = Object.fromEntries(Object.entries(counts).map(([a, n]) => [a, n / N]));
    console.log('exclusion shares', shares);
    assert.ok(Math.abs(shares['a-one'] - 0.5) < 0.01, JSON.stringify(shares));
    assert.ok(Math.abs(shares['a-two'] - 0.3) < 0.01, JSON.stringify(shares));
    assert.ok(Math.abs(shares['a-three'] - 0.2) < 0.01, JSON.stringify(shares));
  });

  it('raising a weight or adding an agent only takes new sessions into that agent', () => {
    const before = snap(grouped('a-one', 50), grouped('a-two', 30), grouped('a-three', 20)).agents;
    const after = snap(
      grouped('a-one', 50),
      grouped('a-two', 60),
      grouped('a-three', 20),
      grouped('a-four', 10),
    ).agents;
    let moved = 0;
    for (let i = 0; i < 20_000; i++) {
      const session = `w-${i}`;
      const was = placeInGroup(session, 'checkout', groupMembers(before, 'checkout'));
      const now = placeInGroup(session, 'checkout', groupMembers(after, 'checkout'));
      if (was !== now) {
        moved++;
        assert.ok(now === 'a-two' || now === 'a-four', `${session} moved from ${was} to ${now}`);
      }
    }
    assert.ok(moved > 0);
  });

  it('a placed session stays placed when weights change (remembered in its state)', () => {
    const first = run(snap(grouped('a-one', 1), grouped('a-two', 1)), {
      session: 'keep',
      commands: [{ a: 'a-one' }],
    });
    const home = first.state.placed?.checkout as string;
    assert.ok(home === 'a-one' || home === 'a-two');
    const other = home === 'a-one' ? 'a-two' : 'a-one';
    const reweighted = snap(grouped(home, 0), grouped(other, 1000));
    const r = run(reweighted, { session: 'keep', state: first.state, commands: [{ a: home }, { a: other }] });
    assert.notEqual(item(r, home)?.p, 'x');
    assert.equal(item(r, other)?.p, 'x');
  });

  it('the others answer their first variation with policy x, and a stopped member lets its sessions go', () => {
    const s = snap(grouped('a-one', 1), grouped('a-two', 0));
    const r = run(s, { commands: [{ a: 'a-one' }, { a: 'a-two' }] });
    assert.equal(item(r, 'a-one')?.p, 'r');
    assert.deepEqual(item(r, 'a-two'), { a: 'a-two', c: 'A', p: 'x', s: 'ok', md: {} });
    const stopped = snap({ ...grouped('a-one', 1), status: 'stopped' }, grouped('a-two', 1));
    const again = run(stopped, { state: r.state, commands: [{ a: 'a-two' }] });
    assert.equal(item(again, 'a-two')?.p, 'r');
  });

  it('a session already counted in a member before grouping is placed there', () => {
    const plain = run(snap(agent('a-one'), agent('a-two')), { commands: [{ a: 'a-two' }] });
    const r = run(snap(grouped('a-one', 1000), grouped('a-two', 0)), { state: plain.state });
    assert.equal(item(r, 'a-two')?.p, 's');
    assert.equal(item(r, 'a-one')?.p, 'x');
  });

  it('eligibility is checked within the placed agent only', () => {
    const s = snap({
      ...grouped('a-one', 1),
      eligibility: { match: 'all', rules: [{ input: 'x', op: 'exists' }] },
    });
    const r = run(s, { commands: [{ a: 'a-one' }] });
    assert.equal(item(r, 'a-one')?.p, 'x');
    assert.deepEqual(r.state.placed, { checkout: 'a-one' });
    assert.deepEqual(r.state.eligible, { 'a-one': 0 });
  });

  it('agents without eligibility or exclusion leave the state shape as it was', () => {
    const r = run(snap(agent('a-plain')));
    assert.deepEqual(Object.keys(r.state).sort(), ['rewarded', 'selections', 'traits']);
  });
});
