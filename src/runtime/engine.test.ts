import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Snapshot, SnapshotAgent, SnapshotCondition } from '../agents/snapshot.js';
import { allocate } from './allocation.js';
import {
  type Command,
  type ExecuteInput,
  type ExecuteResult,
  emptyVisitorState,
  execute,
  MAX_SESSION_TRAITS,
  type RewardItem,
  type SelectionItem,
  type VisitorState,
} from './engine.js';

const IPHONE =
  'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.4 Mobile/15E148 Safari/604.1';
const DESKTOP =
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0.0.0 Safari/537.36';

/** A condition of the snapshot. */
function cond(when: unknown, variation: string): SnapshotCondition {
  // biome-ignore lint/suspicious/noThenProperty: `then` is the condition field of the wire format (PRODUCT.md 3.3).
  return { when, then: variation } as SnapshotCondition;
}

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
    ],
    conditions: [],
    goals: null,
    ...over,
  };
}

const snapshot: Snapshot = {
  version: 3,
  agents: {
    'a-example': agent('a-example', {
      metaKeys: ['magic'],
      variations: [
        { code: 'A', name: 'Control', weight: 1, meta: { magic: 'Amagic' } },
        { code: 'B', weight: 1, meta: {} },
        { code: 'C', weight: 0, meta: { extra: 'Cextra' } },
      ],
      conditions: [
        cond([{ input: 'foo', is: 'bar' }], 'C'),
        cond([{ trait: 'cust/F:1' }], 'A'),
        cond([{ trait: 'ua/mo:y' }, { input: 'page', is: 'home' }], 'B'),
      ],
      goals: ['g-example'],
    }),
    'a-plain': agent('a-plain'),
    'a-other': agent('a-other', { goals: ['g-other'] }),
    'a-always': agent('a-always', { conditions: [cond([], 'B')] }),
    'a-paused': agent('a-paused', { status: 'paused', pausedAt: 'B' }),
    'a-paused-null': agent('a-paused-null', { status: 'paused', pausedAt: null }),
    'a-stopped': agent('a-stopped', { status: 'stopped' }),
    'a-archived': agent('a-archived', { status: 'archived' }),
    'a-zero': agent('a-zero', {
      variations: [
        { code: 'A', weight: 0, meta: {} },
        { code: 'B', weight: 0, meta: {} },
      ],
    }),
  },
  goals: {
    'g-example': { code: 'g-example', name: 'Signed up', value: 1 },
    'g-other': { code: 'g-other', name: 'Other', value: 5 },
  },
};

function input(session: string, commands: Command[], over: Partial<ExecuteInput> = {}): ExecuteInput {
  return { session, commands, inputs: {}, queryTraits: [], debug: false, ...over };
}

function deepFreeze<T>(v: T): T {
  if (typeof v === 'object' && v !== null) {
    for (const k of Object.keys(v)) deepFreeze((v as Record<string, unknown>)[k]);
    Object.freeze(v);
  }
  return v;
}

/** Runs requests one after another for one session, carrying the state like the server does. */
class Visitor {
  state: VisitorState = emptyVisitorState();
  constructor(readonly session: string) {}
  run(commands: Command[], over: Partial<ExecuteInput> = {}): ExecuteResult {
    const before = structuredClone(this.state);
    const frozen = deepFreeze(structuredClone(this.state));
    const res = execute(snapshot, frozen, input(this.session, commands, over));
    assert.deepEqual(frozen, before, 'input state must not be mutated');
    assert.equal(res.changed, JSON.stringify(res.state) !== JSON.stringify(before));
    this.state = res.state;
    return res;
  }
}

const sel = (res: ExecuteResult, i = 0) => res.items[i] as SelectionItem;
const rew = (res: ExecuteResult, i = 0) => res.items[i] as RewardItem;

describe('execute: selections', () => {
  it('first selection is random (weighted), the next is sticky with the same variation', () => {
    const v = new Visitor('s-first');
    const r1 = v.run([{ a: 'a-plain' }]);
    const expected = allocate('s-first', 'a-plain', snapshot.agents['a-plain'].variations);
    assert.deepEqual(r1.items, [{ a: 'a-plain', c: expected, p: 'r', s: 'ok', md: {} }]);
    assert.deepEqual(Object.keys(r1.items[0]), ['a', 'c', 'p', 's', 'md']);
    assert.deepEqual(r1.sels, { 'a-plain': expected });
    assert.deepEqual(r1.events, [{ type: 'selection', agent: 'a-plain', variation: expected }]);
    assert.equal(r1.changed, true);
    assert.deepEqual(r1.state.selections['a-plain'], { c: expected, p: 'r', s: 'ok' });
    assert.equal('log' in r1, false);

    const r2 = v.run([{ a: 'a-plain' }]);
    assert.deepEqual(r2.items, [{ a: 'a-plain', c: expected, p: 's', s: 'ok', md: {} }]);
    assert.deepEqual(r2.events, []);
    assert.equal(r2.changed, false);
  });

  it('random selection spreads sessions over the variations', () => {
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++)
      seen.add(sel(execute(snapshot, emptyVisitorState(), input(`s${i}`, [{ a: 'a-plain' }]))).c);
    assert.deepEqual([...seen].sort(), ['A', 'B']);
  });

  it('provisional, then confirmed: exactly one selection event, emitted at confirmation', () => {
    const v = new Visitor('s-prov');
    const r1 = v.run([{ a: 'a-plain', s: 'p' }]);
    const c = sel(r1).c;
    assert.equal(sel(r1).p, 'r');
    assert.equal(sel(r1).s, 'p');
    assert.deepEqual(r1.events, []);
    assert.deepEqual(r1.state.selections['a-plain'], { c, p: 'r', s: 'p' });

    const r2 = v.run([{ a: 'a-plain', s: 'p' }]);
    assert.deepEqual(sel(r2), { a: 'a-plain', c, p: 's', s: 'p', md: {} });
    assert.deepEqual(r2.events, []);
    assert.equal(r2.changed, false);

    const r3 = v.run([{ a: 'a-plain', s: 'ok' }]);
    assert.deepEqual(sel(r3), { a: 'a-plain', c, p: 's', s: 'ok', md: {} });
    assert.deepEqual(r3.events, [{ type: 'selection', agent: 'a-plain', variation: c }]);
    assert.equal(r3.state.selections['a-plain'].s, 'ok');

    const r4 = v.run([{ a: 'a-plain', s: 'ok' }, { a: 'a-plain' }, { a: 'a-plain', s: 'p' }]);
    assert.deepEqual(r4.events, []);
    assert.deepEqual(
      r4.items.map((i) => [(i as SelectionItem).c, (i as SelectionItem).p, (i as SelectionItem).s]),
      [
        [c, 's', 'ok'],
        [c, 's', 'ok'],
        [c, 's', 'ok'],
      ],
    );
  });

  it('provisional and confirmation in one request: commands see the state the previous left', () => {
    const v = new Visitor('s-one-req');
    const r = v.run([
      { a: 'a-plain', s: 'p' },
      { a: 'a-plain', s: 'ok' },
    ]);
    assert.deepEqual(
      r.items.map((i) => [(i as SelectionItem).p, (i as SelectionItem).s]),
      [
        ['r', 'p'],
        ['s', 'ok'],
      ],
    );
    assert.equal(r.events.length, 1);
  });

  it('a provisional request on a confirmed selection answers the confirmed one', () => {
    const v = new Visitor('s-conf-prov');
    const c = sel(v.run([{ a: 'a-plain' }])).c;
    const r = v.run([{ a: 'a-plain', s: 'p' }]);
    assert.deepEqual(sel(r), { a: 'a-plain', c, p: 's', s: 'ok', md: {} });
    assert.equal(r.changed, false);
  });

  it('respects c (allowed) and x (excluded)', () => {
    for (let i = 0; i < 200; i++) {
      const onlyB = execute(snapshot, emptyVisitorState(), input(`s${i}`, [{ a: 'a-plain', c: ['B'] }]));
      assert.equal(sel(onlyB).c, 'B');
      assert.equal(sel(onlyB).p, 'r');
      const notA = execute(snapshot, emptyVisitorState(), input(`s${i}`, [{ a: 'a-plain', x: ['A'] }]));
      assert.equal(sel(notA).c, 'B');
      const both = execute(
        snapshot,
        emptyVisitorState(),
        input(`s${i}`, [{ a: 'a-example', c: ['A', 'B'], x: ['B'] }]),
      );
      assert.equal(sel(both).c, 'A');
    }
  });

  it('a sticky variation that is now excluded gets a fresh decision; a confirmed one stays counted', () => {
    const v = new Visitor('s-excl');
    const c = sel(v.run([{ a: 'a-plain' }])).c;
    const other = c === 'A' ? 'B' : 'A';
    const r = v.run([{ a: 'a-plain', x: [c] }]);
    assert.deepEqual(sel(r), { a: 'a-plain', c: other, p: 'r', s: 'ok', md: {} });
    assert.deepEqual(r.events, []);
    assert.equal(r.state.selections['a-plain'].c, c);
    assert.equal(sel(v.run([{ a: 'a-plain' }])).c, c);

    const w = new Visitor('s-excl');
    w.run([{ a: 'a-plain', s: 'p' }]);
    const r2 = w.run([{ a: 'a-plain', c: [other] }]);
    assert.deepEqual(sel(r2), { a: 'a-plain', c: other, p: 'r', s: 'ok', md: {} });
    assert.deepEqual(r2.events, [{ type: 'selection', agent: 'a-plain', variation: other }]);
    assert.equal(r2.state.selections['a-plain'].c, other);
  });

  it('nothing choosable (all excluded or weight 0) answers the first variation with p "x", not remembered', () => {
    const v = new Visitor('s-none');
    const r = v.run([
      { a: 'a-zero' },
      { a: 'a-plain', c: ['A'], x: ['A'] },
      { a: 'a-plain', s: 'p', c: ['Q'], x: ['A', 'B'] },
    ]);
    assert.deepEqual(r.items, [
      { a: 'a-zero', c: 'A', p: 'x', s: 'ok', md: {} },
      { a: 'a-plain', c: 'A', p: 'x', s: 'ok', md: {} },
      { a: 'a-plain', c: 'A', p: 'x', s: 'ok', md: {} },
    ]);
    assert.deepEqual(r.events, []);
    assert.deepEqual(r.state.selections, {});
    assert.equal(r.changed, false);
  });

  it('a condition on an input answers its variation with p "f", even one of weight 0', () => {
    const v = new Visitor('s-cond');
    const r = v.run([{ a: 'a-example' }], { inputs: { foo: 'bar' } });
    assert.deepEqual(sel(r), { a: 'a-example', c: 'C', p: 'f', s: 'ok', md: { magic: '', extra: 'Cextra' } });
    assert.deepEqual(r.state.selections['a-example'], { c: 'C', p: 'f', s: 'ok' });
    assert.deepEqual(r.events, [{ type: 'selection', agent: 'a-example', variation: 'C' }]);
    // then sticky, whatever the inputs say
    assert.deepEqual(sel(v.run([{ a: 'a-example' }], { inputs: { foo: 'other' } })).p, 's');

    const noMatch = execute(
      snapshot,
      emptyVisitorState(),
      input('s-cond', [{ a: 'a-example' }], { inputs: { foo: 'baz' } }),
    );
    assert.equal(sel(noMatch).p, 'r');
    assert.notEqual(sel(noMatch).c, 'C');
  });

  it('a condition whose variation is excluded is passed over', () => {
    const r = execute(
      snapshot,
      emptyVisitorState(),
      input('s-cx', [{ a: 'a-example', x: ['C'] }], { inputs: { foo: 'bar' } }),
    );
    assert.equal(sel(r).p, 'r');
    assert.notEqual(sel(r).c, 'C');
    const r2 = execute(
      snapshot,
      emptyVisitorState(),
      input('s-cx', [{ a: 'a-example', x: ['C'] }], { inputs: { foo: 'bar' }, queryTraits: ['F:1'] }),
    );
    assert.deepEqual([sel(r2).c, sel(r2).p], ['A', 'f']);
  });

  it('a condition on a trait (query trait, then ua trait plus input) answers with p "f"', () => {
    const r = execute(
      snapshot,
      emptyVisitorState(),
      input('s-trait', [{ a: 'a-example' }], { queryTraits: ['F:1'] }),
    );
    assert.deepEqual([sel(r).c, sel(r).p], ['A', 'f']);
    assert.deepEqual(r.traits, ['cust/F:1']);

    const ua = execute(
      snapshot,
      emptyVisitorState(),
      input('s-trait', [{ a: 'a-example' }], { userAgent: IPHONE, inputs: { page: 'home' } }),
    );
    assert.deepEqual([sel(ua).c, sel(ua).p], ['B', 'f']);
    // both clauses must hold
    const half = execute(
      snapshot,
      emptyVisitorState(),
      input('s-trait', [{ a: 'a-example' }], { userAgent: IPHONE }),
    );
    assert.equal(sel(half).p, 'r');
    const desk = execute(
      snapshot,
      emptyVisitorState(),
      input('s-trait', [{ a: 'a-example' }], { userAgent: DESKTOP, inputs: { page: 'home' } }),
    );
    assert.equal(sel(desk).p, 'r');
  });

  it('traits remembered from an earlier request still satisfy a condition', () => {
    const v = new Visitor('s-trait-later');
    v.run([], { queryTraits: ['F:1'] });
    const r = v.run([{ a: 'a-example' }]);
    assert.deepEqual([sel(r).c, sel(r).p], ['A', 'f']);
    assert.deepEqual(r.traits, ['cust/F:1']);
  });

  it('an empty "when" always holds', () => {
    for (let i = 0; i < 20; i++) {
      const r = execute(snapshot, emptyVisitorState(), input(`s${i}`, [{ a: 'a-always' }]));
      assert.deepEqual([sel(r).c, sel(r).p], ['B', 'f']);
    }
  });

  it('a paused agent answers its paused-at variation, p "p", not counted nor remembered', () => {
    const v = new Visitor('s-paused');
    const r = v.run([{ a: 'a-paused' }, { a: 'a-paused-null', s: 'p' }, { a: 'a-paused', c: ['A'] }]);
    assert.deepEqual(r.items, [
      { a: 'a-paused', c: 'B', p: 'p', s: 'ok', md: {} },
      { a: 'a-paused-null', c: 'A', p: 'p', s: 'ok', md: {} },
      { a: 'a-paused', c: 'B', p: 'p', s: 'ok', md: {} },
    ]);
    assert.deepEqual(r.sels, { 'a-paused': 'B', 'a-paused-null': 'A' });
    assert.deepEqual(r.events, []);
    assert.deepEqual(r.state.selections, {});
    assert.equal(r.changed, false);
  });

  it('unknown, stopped and archived agents yield no item', () => {
    const v = new Visitor('s-gone');
    const r = v.run([
      { a: 'a-zz' },
      { a: 'a-stopped' },
      { a: 'a-archived' },
      { a: 'constructor' },
      { a: '__proto__' },
    ]);
    assert.deepEqual(r.items, []);
    assert.deepEqual(r.sels, {});
    assert.deepEqual(r.events, []);
    assert.equal(r.changed, false);
  });

  it('md always has every metadata key of the agent, "" where the variation has none', () => {
    const md = (c: string) =>
      sel(execute(snapshot, emptyVisitorState(), input('s-md', [{ a: 'a-example', c: [c] }], { inputs: {} })))
        .md;
    assert.deepEqual(md('A'), { magic: 'Amagic', extra: '' });
    assert.deepEqual(md('B'), { magic: '', extra: '' });
    const c = execute(
      snapshot,
      emptyVisitorState(),
      input('s-md', [{ a: 'a-example' }], { inputs: { foo: 'bar' } }),
    );
    assert.deepEqual(sel(c).md, { magic: '', extra: 'Cextra' });
    assert.deepEqual(Object.keys(sel(c).md), ['magic', 'extra']);
  });
});

describe('execute: rewards', () => {
  it('a reward is accepted once, then answers 0', () => {
    const v = new Visitor('s-rew');
    const c = sel(v.run([{ a: 'a-example' }])).c;
    const r1 = v.run([{ g: 'g-example' }]);
    assert.deepEqual(r1.items, [{ g: 'g-example', rs: [{ a: 'a-example', v: 1 }] }]);
    assert.deepEqual(Object.keys(r1.items[0]), ['g', 'rs']);
    assert.deepEqual(r1.events, [
      { type: 'reward', goal: 'g-example', agent: 'a-example', variation: c, value: 1 },
    ]);
    assert.deepEqual(r1.state.rewarded, ['g-example|a-example']);
    assert.deepEqual(r1.sels, {});

    const r2 = v.run([{ g: 'g-example', v: 7 }]);
    assert.deepEqual(r2.items, [{ g: 'g-example', rs: [{ a: 'a-example', v: 0 }] }]);
    assert.deepEqual(r2.events, []);
    assert.equal(r2.changed, false);
  });

  it('a reward before confirmation answers 0 and does not use the goal up; after confirmation it counts', () => {
    const v = new Visitor('s-rew-prov');
    const c = sel(v.run([{ a: 'a-example', s: 'p' }])).c;
    const r1 = v.run([{ g: 'g-example' }]);
    assert.deepEqual(rew(r1), { g: 'g-example', rs: [{ a: 'a-example', v: 0 }] });
    assert.deepEqual(r1.events, []);
    assert.deepEqual(r1.state.rewarded, []);
    assert.equal(r1.changed, false);

    const r2 = v.run([
      { a: 'a-example', s: 'ok' },
      { g: 'g-example', v: 2.5 },
    ]);
    assert.deepEqual(rew(r2, 1), { g: 'g-example', rs: [{ a: 'a-example', v: 2.5 }] });
    assert.deepEqual(r2.events, [
      { type: 'selection', agent: 'a-example', variation: c },
      { type: 'reward', goal: 'g-example', agent: 'a-example', variation: c, value: 2.5 },
    ]);
  });

  it('credits only the agents that track the goal and that the session has a selection for', () => {
    const v = new Visitor('s-track');
    v.run([{ a: 'a-example' }, { a: 'a-other' }, { a: 'a-plain' }, { a: 'a-paused' }]);
    const r = v.run([{ g: 'g-example' }, { g: 'g-other' }, { g: 'g-other' }]);
    assert.deepEqual(r.items, [
      {
        g: 'g-example',
        rs: [
          { a: 'a-example', v: 1 },
          { a: 'a-plain', v: 1 },
        ],
      },
      {
        g: 'g-other',
        rs: [
          { a: 'a-other', v: 5 },
          { a: 'a-plain', v: 5 },
        ],
      },
      {
        g: 'g-other',
        rs: [
          { a: 'a-other', v: 0 },
          { a: 'a-plain', v: 0 },
        ],
      },
    ]);
    assert.equal(r.events.length, 4);
    assert.deepEqual(r.state.rewarded, [
      'g-example|a-example',
      'g-example|a-plain',
      'g-other|a-other',
      'g-other|a-plain',
    ]);
  });

  it('paused agents keep crediting their earlier confirmed selection; stopped ones do not', () => {
    const state: VisitorState = {
      selections: { 'a-paused': { c: 'A', p: 'r', s: 'ok' }, 'a-stopped': { c: 'A', p: 'r', s: 'ok' } },
      rewarded: [],
      traits: [],
    };
    const r = execute(snapshot, deepFreeze(state), input('s-p', [{ g: 'g-example' }]));
    assert.deepEqual(r.items, [{ g: 'g-example', rs: [{ a: 'a-paused', v: 1 }] }]);
    assert.deepEqual(r.events, [
      { type: 'reward', goal: 'g-example', agent: 'a-paused', variation: 'A', value: 1 },
    ]);
  });

  it('an unknown goal answers an empty rs', () => {
    const v = new Visitor('s-ug');
    v.run([{ a: 'a-plain' }]);
    const r = v.run([{ g: 'g-nope' }, { g: 'toString' }]);
    assert.deepEqual(r.items, [
      { g: 'g-nope', rs: [] },
      { g: 'toString', rs: [] },
    ]);
    assert.equal(r.changed, false);
  });

  it('a reward with no selection lists no agent', () => {
    const r = execute(snapshot, emptyVisitorState(), input('s-empty', [{ g: 'g-example' }]));
    assert.deepEqual(r.items, [{ g: 'g-example', rs: [] }]);
    assert.deepEqual(r.events, []);
  });
});

describe('execute: traits', () => {
  it('query traits come back cust/…, ua traits ua/…, merged without duplicates, in order', () => {
    const v = new Visitor('s-traits');
    const r1 = v.run([], {
      queryTraits: ['F:1', 'bad', ':x', 'y:', ' G : 2 ', 'F:1', 'H:a:b'],
      userAgent: IPHONE,
    });
    assert.deepEqual(r1.traits, ['cust/F:1', 'cust/G:2', 'cust/H:a:b', 'ua/mo:y']);
    assert.deepEqual(r1.state.traits, r1.traits);
    assert.equal(r1.changed, true);

    const r2 = v.run([], { queryTraits: ['Z:9', 'F:1'], userAgent: IPHONE });
    assert.deepEqual(r2.traits, ['cust/F:1', 'cust/G:2', 'cust/H:a:b', 'ua/mo:y', 'cust/Z:9']);

    const r3 = v.run([]);
    assert.deepEqual(r3.traits, r2.traits);
    assert.equal(r3.changed, false);

    const r4 = v.run([], { userAgent: DESKTOP });
    assert.deepEqual(r4.traits, ['cust/F:1', 'cust/G:2', 'cust/H:a:b', 'cust/Z:9', 'ua/mo:n']);
  });

  it('a session keeps its last 100 distinct traits: new ones beyond that drop the oldest', () => {
    const v = new Visitor('s-many-traits');
    const first = v.run([], { queryTraits: Array.from({ length: 150 }, (_, i) => `T:${i}`) });
    assert.equal(first.traits.length, MAX_SESSION_TRAITS);
    assert.deepEqual(first.traits[0], 'cust/T:50', 'the oldest fifty went');
    assert.deepEqual(first.traits.at(-1), 'cust/T:149');
    const again = v.run([], { queryTraits: ['T:149', 'U:1'] });
    assert.equal(again.traits.length, MAX_SESSION_TRAITS);
    assert.deepEqual(
      again.traits.slice(-2),
      ['cust/T:149', 'cust/U:1'],
      'a trait already kept is not added twice',
    );
    assert.equal(again.traits[0], 'cust/T:51');
    // A state stored before the bound (or by hand) is cut to it when read.
    const stored = { ...emptyVisitorState(), traits: Array.from({ length: 500 }, (_, i) => `cust/S:${i}`) };
    const read = execute(snapshot, stored, input('s-stored', [], { queryTraits: [] }));
    assert.equal(read.traits.length, MAX_SESSION_TRAITS);
    assert.equal(read.traits[0], 'cust/S:400');
  });

  it('no User-Agent, no ua trait', () => {
    const r = execute(snapshot, emptyVisitorState(), input('s', [], { queryTraits: [] }));
    assert.deepEqual(r.traits, []);
    assert.equal(r.changed, false);
  });
});

describe('execute: debug log', () => {
  it('logs each trait added and why each decision was made; no log without debug', () => {
    const v = new Visitor('s-debug');
    const r1 = v.run(
      [
        { a: 'a-plain' },
        { a: 'a-plain' },
        { a: 'a-example' },
        { a: 'a-paused' },
        { a: 'a-zz' },
        { a: 'a-stopped' },
        { g: 'g-example' },
        { g: 'g-example' },
        { g: 'g-zz' },
      ],
      { debug: true, userAgent: DESKTOP, queryTraits: ['F:1'], inputs: { foo: 'bar' } },
    );
    const log = r1.log ?? [];
    const c = sel(r1).c;
    for (const line of [
      "Added trait 'cust/F:1' (apply)",
      "Added trait 'ua/mo:n' (apply)",
      `Agent 'a-plain': random allocation among A, B; chose '${c}'`,
      `Agent 'a-plain': session already had variation '${c}' (sticky)`,
      "Agent 'a-example': condition 1 matched: input foo = bar; answering variation 'C' (fixed)",
      "Agent 'a-paused': agent is paused at 'B'; answering it, not counted",
      "Agent 'a-zz': unknown agent 'a-zz', no item (the client falls back to its default)",
      "Agent 'a-stopped': agent is stopped, no item (the client falls back to its default)",
      `Goal 'g-example': credited 1 to agent 'a-plain' (variation '${c}')`,
      "Goal 'g-example': credited 1 to agent 'a-example' (variation 'C')",
      "Goal 'g-example': agent 'a-plain' was already credited for this goal in this session; 0 credited",
      "Goal 'g-zz': unknown goal 'g-zz', nothing credited",
    ]) {
      assert.ok(log.includes(line), `missing log line: ${line}\n${log.join('\n')}`);
    }
    assert.ok(log.every((l) => typeof l === 'string' && l.length > 0));
    assert.ok(log.indexOf("Added trait 'cust/F:1' (apply)") < log.indexOf("Added trait 'ua/mo:n' (apply)"));

    const r2 = v.run([{ a: 'a-plain' }], { debug: false, userAgent: DESKTOP });
    assert.equal(r2.log, undefined);
    assert.equal('log' in r2, false);
  });

  it('logs a trait condition and provisional handling', () => {
    const v = new Visitor('s-debug2');
    const r = v.run([{ a: 'a-example', s: 'p' }, { g: 'g-example' }, { a: 'a-example', s: 'ok' }], {
      debug: true,
      queryTraits: ['F:1'],
    });
    const log = r.log ?? [];
    assert.ok(
      log.includes("Agent 'a-example': condition 2 matched: trait cust/F:1; answering variation 'A' (fixed)"),
    );
    assert.ok(
      log.includes("Agent 'a-example': variation 'A' remembered as provisional, not counted until confirmed"),
    );
    assert.ok(
      log.includes(
        "Goal 'g-example': agent 'a-example' has only a provisional selection ('A'); 0 credited, the goal is not used up",
      ),
    );
    assert.ok(
      log.includes(
        "Agent 'a-example': session already had variation 'A' (sticky), provisional until now: confirmed and counted",
      ),
    );
  });
});

describe('execute: robustness', () => {
  it('skips malformed commands and never throws', () => {
    const junk = [
      null,
      1,
      'a',
      [],
      {},
      { a: 5 },
      { g: null },
      { c: ['A'] },
      { a: 'a-plain', c: 'A', x: 7, s: 'maybe' },
    ];
    const r = execute(
      snapshot,
      emptyVisitorState(),
      input('s-junk', junk as unknown as Command[], { debug: true }),
    );
    assert.equal(r.items.length, 1);
    assert.equal(sel(r).a, 'a-plain');
    assert.equal(sel(r).s, 'ok');
    assert.ok((r.log ?? []).some((l) => l.startsWith('Command 1 skipped')));
  });

  it('survives odd snapshots, states and inputs', () => {
    const odd = {
      version: 1,
      agents: {
        'a-novar': agent('a-novar', { variations: [] }),
        'a-weird': {
          ...agent('a-weird'),
          status: 'weird',
          conditions: null,
          metaKeys: null,
        } as unknown as SnapshotAgent,
        'a-badcond': agent('a-badcond', {
          conditions: [
            cond(null, 'A'),
            cond([{ nope: 1 }], 'A'),
            null,
            cond([{ input: 'n', is: '1' }], 'B'),
          ] as unknown as SnapshotAgent['conditions'],
          variations: [
            { code: 'A', weight: 1 },
            { code: 'B', weight: 0, meta: null },
          ] as unknown as SnapshotAgent['variations'],
          metaKeys: ['k'],
        }),
      },
      goals: { 'g-x': { code: 'g-x', name: 'x', value: Number.NaN } },
    } as Snapshot;
    const badState = JSON.parse(
      '{"selections": {"a-badcond": {"c": 3}, "__proto__": {"c": "A", "s": "ok"}}, "rewarded": null}',
    ) as VisitorState;
    const r = execute(
      odd,
      badState,
      input('s', [{ a: 'a-novar' }, { a: 'a-weird' }, { a: 'a-badcond' }, { g: 'g-x' }], {
        inputs: { n: 1 } as unknown as Record<string, string>,
        queryTraits: [5, null] as unknown as string[],
      }),
    );
    assert.deepEqual(r.items, [
      { a: 'a-badcond', c: 'B', p: 'f', s: 'ok', md: { k: '' } },
      { g: 'g-x', rs: [{ a: 'a-badcond', v: 1 }] },
    ]);
    assert.doesNotThrow(() => execute({} as Snapshot, {} as VisitorState, {} as ExecuteInput));
    const empty = execute({} as Snapshot, {} as VisitorState, {} as ExecuteInput);
    assert.deepEqual(empty.items, []);
  });

  it('is deterministic: the same snapshot, state and input give the same result', () => {
    const commands: Command[] = [{ a: 'a-example' }, { a: 'a-plain', s: 'p' }, { g: 'g-example' }];
    for (let i = 0; i < 500; i++) {
      const inp = input(`sess-${i}`, commands, { debug: true, userAgent: i % 2 ? IPHONE : DESKTOP });
      assert.deepEqual(
        execute(snapshot, emptyVisitorState(), inp),
        execute(snapshot, emptyVisitorState(), inp),
      );
    }
  });
});
