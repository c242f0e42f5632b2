import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestStore, type TestStore } from '../../test/helpers/store.js';
import { storedSessionReader } from '../events/session-events.js';
import { emptyVisitorState, type VisitorState } from './engine.js';
import {
  cachedForm,
  createVisitorStore,
  derivable,
  givenBack,
  parseVisitorState,
  withCountedEvents,
} from './visitor-store.js';

/** The usual new session's state: one agent, randomly allocated and confirmed. */
const usualState = (variation: string): VisitorState => ({
  selections: { 'a-1': { c: variation, p: 'r', s: 'ok' } },
  rewarded: [],
  traits: [],
});

describe('the visitor store', () => {
  let ts: TestStore;
  before(async () => {
    ts = await createTestStore();
  });
  after(() => ts.dispose());

  test('reads the stored state once, then answers from memory; absence is remembered too', async () => {
    const state = { ...emptyVisitorState(), traits: ['cust/F:1'] };
    await ts.store.db
      .insertInto('visitors')
      .values({ account_id: 'acc-1', session: 'stored', state: JSON.stringify(state), updated_at: 1 })
      .execute();
    const visitors = createVisitorStore(ts.store.db);
    assert.deepEqual(await visitors.get('acc-1', 'stored'), state);
    assert.equal(await visitors.get('acc-1', 'nobody'), null);
    // Changed behind its back: the cache still answers (this server wrote everything it knows).
    await ts.store.db.deleteFrom('visitors').where('session', '=', 'stored').execute();
    const cached = visitors.get('acc-1', 'stored');
    assert.ok(!(cached instanceof Promise), 'a cached state is answered without a promise');
    assert.deepEqual(cached, state);
    assert.equal(visitors.get('acc-1', 'nobody'), null);
    visitors.forget('acc-1', 'stored');
    assert.equal(await visitors.get('acc-1', 'stored'), null);
    // Sessions of another account are other visitors.
    assert.equal(await visitors.get('acc-2', 'stored'), null);
  });

  test('without a cache (servers sharing the store) every read sees what another server wrote', async () => {
    const visitors = createVisitorStore(ts.store.db, { cacheStates: false });
    assert.equal(await visitors.get('acc-1', 'shared'), null);
    visitors.remember('acc-1', 'shared', emptyVisitorState());
    const written = { ...emptyVisitorState(), traits: ['cust/written-by:B'] };
    await ts.store.db
      .insertInto('visitors')
      .values({ account_id: 'acc-1', session: 'shared', state: JSON.stringify(written), updated_at: 1 })
      .execute();
    assert.deepEqual(await visitors.get('acc-1', 'shared'), written);
    assert.equal(visitors.stats().cached, 0);
  });

  test('a shared store’s read takes the session’s counted selections and rewards over its state', async () => {
    const written = {
      selections: { 'a-one': { c: 'A', p: 'r' as const, s: 'ok' as const } },
      rewarded: [],
      traits: ['cust/F:1'],
    };
    await ts.store.db
      .insertInto('visitors')
      .values({ account_id: 'acc-1', session: 'overwritten', state: JSON.stringify(written), updated_at: 1 })
      .execute();
    // What another server counted at the same instant, while its state was written over.
    const event = { account_id: 'acc-1', session: 'overwritten', deploy_target_id: 'dt-1', day: 0, at: 1 };
    await ts.store.db
      .insertInto('selection_events')
      .values({ ...event, agent: 'a-two', variation: 'B' })
      .execute();
    await ts.store.db
      .insertInto('reward_events')
      .values({ ...event, agent: 'a-two', goal: 'g-1', variation: 'B', value: 1 })
      .execute();
    // Another account's events for a session of the same name are another visitor's.
    await ts.store.db
      .insertInto('selection_events')
      .values({ ...event, account_id: 'acc-2', agent: 'a-three', variation: 'C' })
      .execute();

    const shared = createVisitorStore(ts.store.db, { cacheStates: false });
    assert.deepEqual(await shared.get('acc-1', 'overwritten'), {
      selections: { 'a-one': { c: 'A', p: 'r', s: 'ok' }, 'a-two': { c: 'B', p: 'r', s: 'ok' } },
      rewarded: ['g-1|a-two'],
      traits: ['cust/F:1'],
    });
    // One server (its own cache, the only writer): the state is read as written, with the goals
    // its counted rewards used up (a reward's state need not be stored).
    assert.deepEqual(await createVisitorStore(ts.store.db).get('acc-1', 'overwritten'), {
      ...written,
      rewarded: ['g-1|a-two'],
    });
  });

  test('counted events win over the state: what differs is replaced, what agrees is kept as it is', () => {
    const state = {
      selections: {
        'a-kept': { c: 'A', p: 'f' as const, s: 'ok' as const },
        'a-provisional': { c: 'A', p: 'f' as const, s: 'p' as const },
        'a-other': { c: 'A', p: 'r' as const, s: 'ok' as const },
      },
      rewarded: ['g|a-kept'],
      traits: [],
    };
    assert.equal(withCountedEvents(state, [], []), state, 'no events: the same state');
    assert.equal(
      withCountedEvents(state, [{ agent: 'a-kept', variation: 'A' }], [{ agent: 'a-kept', goal: 'g' }]),
      state,
      'events that agree: the same state',
    );
    assert.deepEqual(
      withCountedEvents(
        state,
        [
          { agent: 'a-provisional', variation: 'A' },
          { agent: 'a-other', variation: 'B' },
          { agent: '__proto__', variation: 'A' },
        ],
        [{ agent: 'a-other', goal: 'g' }],
      ),
      {
        selections: {
          'a-kept': { c: 'A', p: 'f', s: 'ok' },
          'a-provisional': { c: 'A', p: 'f', s: 'ok' },
          'a-other': { c: 'B', p: 'r', s: 'ok' },
        },
        rewarded: ['g|a-kept', 'g|a-other'],
        traits: [],
      },
    );
    assert.equal(state.selections['a-other'].c, 'A', 'the state given is not changed');
    assert.deepEqual(withCountedEvents(null, [{ agent: 'a-beacon', variation: 'B' }], []), {
      selections: { 'a-beacon': { c: 'B', p: 'r', s: 'ok' } },
      rewarded: [],
      traits: [],
    });
  });

  test('peek answers what get would without waiting, and nothing where only a read of the store can tell', async () => {
    const visitors = createVisitorStore(ts.store.db);
    assert.equal(visitors.peek('acc-1', 'peeked'), undefined, 'not read yet: only the store can tell');
    assert.equal(await visitors.get('acc-1', 'peeked'), null);
    assert.equal(visitors.peek('acc-1', 'peeked'), null, 'read: known to have no state');
    const state = usualState('B');
    visitors.remember('acc-1', 'peeked', state);
    assert.deepEqual(visitors.peek('acc-1', 'peeked'), state);
    // Servers sharing the store keep nothing in memory: every answer is a read.
    const shared = createVisitorStore(ts.store.db, { cacheStates: false });
    shared.remember('acc-1', 'peeked', state);
    assert.equal(shared.peek('acc-1', 'peeked'), undefined);
  });

  test('busy while a request of the session runs or waits, for that session only', async () => {
    const visitors = createVisitorStore(ts.store.db);
    let release = () => {};
    const running = visitors.exclusive(
      'acc-1',
      's-busy',
      () => new Promise<void>((resolve) => (release = resolve)),
    );
    assert.equal(visitors.busy('acc-1', 's-busy'), true);
    assert.equal(visitors.busy('acc-1', 's-other'), false);
    assert.equal(visitors.busy('acc-2', 's-busy'), false, "another account's session of the same name");
    release();
    await running;
    assert.equal(visitors.busy('acc-1', 's-busy'), false);
  });

  test('the cache is bounded', async () => {
    const visitors = createVisitorStore(ts.store.db, { maxCached: 10 });
    for (let i = 0; i < 50; i++) visitors.remember('acc-1', `s-${i}`, emptyVisitorState());
    assert.equal(visitors.stats().cached, 10);
  });

  test('exclusive runs the requests of one session one after another, others side by side', async () => {
    const visitors = createVisitorStore(ts.store.db);
    const order: string[] = [];
    const work = (name: string, ms: number) => async () => {
      order.push(`${name} start`);
      await new Promise((resolve) => setTimeout(resolve, ms));
      order.push(`${name} end`);
    };
    await Promise.all([
      // far apart, so a loaded machine's late timers cannot reorder them
      visitors.exclusive('acc-1', 's', work('first', 300)),
      visitors.exclusive('acc-1', 's', work('second', 1)),
      visitors.exclusive('acc-1', 'other', work('other', 1)),
    ]);
    assert.deepEqual(order, [
      'first start',
      'other start',
      'other end',
      'first end',
      'second start',
      'second end',
    ]);
    assert.equal(visitors.stats().locked, 0);
  });

  test('a corrupt stored state reads as none', () => {
    assert.equal(parseVisitorState('{not json'), null);
    assert.equal(parseVisitorState('42'), null);
    assert.deepEqual(parseVisitorState('{"selections":{}}'), { selections: {} });
  });

  test('the misses of one moment are read with one statement per table (states, counted selections and rewards)', async () => {
    let statements = 0;
    const counting = ts.store.db.withPlugin({
      transformQuery: (args) => {
        statements++;
        return args.node;
      },
      transformResult: async (args) => args.result,
    });
    const visitors = createVisitorStore(counting);
    await ts.store.db
      .insertInto('visitors')
      .values({ account_id: 'acc-9', session: 'm-7', state: '{"traits":["cust/x:1"]}', updated_at: 1 })
      .execute();
    const states = await Promise.all(Array.from({ length: 120 }, (_, i) => visitors.get('acc-9', `m-${i}`)));
    assert.equal(statements, 3);
    assert.deepEqual(states[7], { traits: ['cust/x:1'] });
    assert.equal(states.filter((s) => s === null).length, 119);
  });

  test('with a reader at once (a SQLite file), a miss is answered without a promise; a failed read throws', async () => {
    const reads: string[] = [];
    const readNow = ({ session }: { accountId: string; session: string }) => {
      reads.push(session);
      if (session === 'broken') throw new Error('disk I/O error');
      if (session === 'counted')
        return { state: null, selections: [{ agent: 'a-1', variation: 'B' }], rewards: [] };
      return session === 'known' ? { state: '{"traits":["cust/x:1"]}', selections: [], rewards: [] } : null;
    };
    const visitors = createVisitorStore(ts.store.db, { readNow });
    const known = visitors.get('acc-1', 'known');
    assert.ok(!(known instanceof Promise), 'read at once');
    assert.deepEqual(known, { traits: ['cust/x:1'] });
    assert.equal(visitors.get('acc-1', 'new'), null);
    assert.deepEqual(
      [visitors.get('acc-1', 'known'), visitors.get('acc-1', 'new')],
      [{ traits: ['cust/x:1'] }, null],
    );
    assert.deepEqual(
      reads,
      ['known', 'new', 'new'],
      'a state is read once; absence is not remembered by a read',
    );
    // No stored state but a counted selection: the state it gives, remembered like a stored one.
    const counted = { selections: { 'a-1': { c: 'B', p: 'r', s: 'ok' } }, rewarded: [], traits: [] };
    assert.deepEqual(visitors.get('acc-1', 'counted'), counted);
    assert.deepEqual(visitors.get('acc-1', 'counted'), counted);
    assert.deepEqual(reads.splice(3), ['counted']);
    // The request that read nothing remembers what it ends with (the runtime service does).
    visitors.remember('acc-1', 'new', null);
    assert.equal(visitors.get('acc-1', 'new'), null);
    assert.equal(reads.length, 3, 'remembered absence is answered from memory');
    assert.throws(() => visitors.get('acc-1', 'broken'), /disk I\/O error/);
    assert.throws(() => visitors.get('acc-1', 'broken'), /disk I\/O error/, 'a failure is not remembered');
    // Servers sharing a store cache nothing: their reads are the batched ones, with counted events.
    const shared = createVisitorStore(ts.store.db, { readNow, cacheStates: false });
    const batched = shared.get('acc-1', 'known');
    assert.ok(batched instanceof Promise);
    assert.equal(await batched, null, 'the store has no such row: the reader at once was not asked');
    assert.equal(reads.length, 5);
  });

  test('a session the known sessions rule out is answered absent before the cache and the store are asked', async () => {
    const reads: string[] = [];
    const readNow = ({ session }: { accountId: string; session: string }) => {
      reads.push(session);
      return { state: '{"traits":["cust/x:1"]}', selections: [], rewards: [] };
    };
    const asked: string[] = [];
    const mayHoldKey = (key: string) => {
      const session = key.split('\u0000')[1];
      asked.push(session);
      return session !== 'new';
    };
    const visitors = createVisitorStore(ts.store.db, { readNow, mayHoldKey });
    assert.equal(visitors.get('acc-1', 'new'), null);
    assert.deepEqual(visitors.get('acc-1', 'old'), { traits: ['cust/x:1'] });
    assert.deepEqual(reads, ['old'], 'a new session is not read');
    // The filter comes first: a session it rules out is never answered from the cache. (The
    // event writer makes every session it writes known before its commit, so no cached state
    // is ever ruled out in the service; this pins the order that spares a new session the miss.)
    visitors.remember('acc-1', 'new', { ...emptyVisitorState(), traits: ['cust/y:2'] });
    assert.equal(visitors.get('acc-1', 'new'), null);
    assert.deepEqual(asked, ['new', 'old', 'new']);
    // Where states are not cached (servers sharing a store), the filter is not asked.
    const shared = createVisitorStore(ts.store.db, { readNow, mayHoldKey, cacheStates: false });
    const batched = shared.get('acc-1', 'new');
    assert.ok(batched instanceof Promise);
    assert.equal(await batched, null);
    assert.equal(asked.length, 3);
  });

  test("a SQLite file's reader answers the stored state, else the counted selections, with the counted rewards, or null", async (t) => {
    if (!ts.store.sqlite) return t.skip('SQLite only: PostgreSQL reads through the batched statement');
    await ts.store.db
      .insertInto('visitors')
      .values({ account_id: 'acc-r', session: 'kept', state: '{"traits":[]}', updated_at: 1 })
      .execute();
    const selection = { account_id: 'acc-r', deploy_target_id: 'dt', day: 1, traits: null };
    await ts.store.db
      .insertInto('selection_events')
      .values([
        { ...selection, agent: 'a-9', session: 'kept', variation: 'A', at: 1 },
        { ...selection, agent: 'a-2', session: 'counted', variation: 'B', at: 2 },
        { ...selection, agent: 'a-3', session: 'counted', variation: 'A', at: 3 },
        { ...selection, agent: 'a-1', session: 'counted', variation: 'A', at: 3 },
      ])
      .execute();
    const reward = { account_id: 'acc-r', deploy_target_id: 'dt', day: 1, value: 1, at: 4 };
    await ts.store.db
      .insertInto('reward_events')
      .values([
        { ...reward, agent: 'a-9', session: 'kept', variation: 'A', goal: 'g-1' },
        { ...reward, agent: 'a-2', session: 'counted', variation: 'B', goal: 'g-2' },
      ])
      .execute();
    const read = storedSessionReader(ts.store.sqlite);
    // The counted rewards beside a stored state too: a reward's state may not have been stored.
    assert.deepEqual(read({ accountId: 'acc-r', session: 'kept' }), {
      state: '{"traits":[]}',
      selections: [],
      rewards: [{ agent: 'a-9', goal: 'g-1' }],
    });
    // In the order they were counted, as the batched read gives them.
    assert.deepEqual(read({ accountId: 'acc-r', session: 'counted' }), {
      state: null,
      selections: [
        { agent: 'a-2', variation: 'B' },
        { agent: 'a-1', variation: 'A' },
        { agent: 'a-3', variation: 'A' },
      ],
      rewards: [{ agent: 'a-2', goal: 'g-2' }],
    });
    assert.equal(read({ accountId: 'acc-r', session: 'other' }), null);
    assert.equal(read({ accountId: 'acc-other', session: 'kept' }), null);
  });

  test('a store of its own reads a session as its stored state or counted selections give it, with its counted rewards', async () => {
    const event = {
      account_id: 'acc-d',
      agent: 'a-1',
      session: 'derived',
      variation: 'B',
      deploy_target_id: 'dt',
    };
    await ts.store.db
      .insertInto('selection_events')
      .values({ ...event, day: 1, at: 1, traits: null })
      .execute();
    await ts.store.db
      .insertInto('reward_events')
      .values({ ...event, goal: 'g-1', day: 1, value: 1, at: 2 })
      .execute();
    await ts.store.db
      .insertInto('visitors')
      .values({
        account_id: 'acc-d',
        session: 'stored',
        state: JSON.stringify(usualState('A')),
        updated_at: 1,
      })
      .execute();
    await ts.store.db
      .insertInto('selection_events')
      .values({ ...event, session: 'stored', variation: 'A', day: 1, at: 1, traits: null })
      .execute();
    await ts.store.db
      .insertInto('reward_events')
      .values({ ...event, session: 'stored', variation: 'A', goal: 'g-2', day: 1, value: 1, at: 2 })
      .execute();
    const given = { ...usualState('B'), rewarded: ['g-1|a-1'] };
    const stored = { ...usualState('A'), rewarded: ['g-2|a-1'] };
    // Batched (no reader at once), and at once where the store is a SQLite file.
    const own = createVisitorStore(ts.store.db);
    assert.deepEqual(await own.get('acc-d', 'derived'), given);
    assert.deepEqual(await own.get('acc-d', 'stored'), stored, 'a reward whose state was not stored');
    if (ts.store.sqlite) {
      const atOnce = createVisitorStore(ts.store.db, { readNow: storedSessionReader(ts.store.sqlite) });
      assert.deepEqual(atOnce.get('acc-d', 'derived'), given);
      assert.deepEqual(atOnce.get('acc-d', 'stored'), stored);
    }
    // Servers sharing the store merge the counted events as they always did.
    const shared = createVisitorStore(ts.store.db, { cacheStates: false });
    assert.deepEqual(await shared.get('acc-d', 'derived'), given);
    assert.deepEqual(await shared.get('acc-d', 'stored'), stored);
  });

  test('a state is given back by what its write counts: a new session by its selection, a reward by its rewards', () => {
    const selected = [{ agent: 'a-1', variation: 'A' }];
    const reward = (goal: string, agent = 'a-1') => ({ agent, goal });
    const none = { selections: [], rewards: [] };
    // A new session: its one counted selection.
    assert.equal(givenBack(null, usualState('A'), { selections: selected, rewards: [] }), true);
    assert.equal(givenBack(null, usualState('A'), none), false, 'nothing counted (a QA session)');
    assert.equal(
      givenBack(
        null,
        { ...usualState('A'), rewarded: ['g-1|a-1'] },
        { selections: selected, rewards: [reward('g-1')] },
      ),
      false,
      'selected and rewarded at once: stored',
    );
    // A reward: the goals its counted rewards use up, and nothing else.
    const before = { ...usualState('A'), rewarded: ['g-0|a-1'] };
    const after = { ...usualState('A'), rewarded: ['g-0|a-1', 'g-1|a-1'] };
    assert.equal(givenBack(before, after, { selections: [], rewards: [reward('g-1')] }), true);
    assert.equal(givenBack(before, after, none), false, 'a goal used up that is not counted (a QA session)');
    assert.equal(
      givenBack(before, after, { selections: [], rewards: [reward('g-1'), reward('g-2')] }),
      false,
      'a reward counted that the state does not hold',
    );
    assert.equal(
      givenBack(before, { ...after, traits: ['cust/x:1'] }, { selections: [], rewards: [reward('g-1')] }),
      false,
      'traits changed beside the reward',
    );
    assert.equal(
      givenBack(
        before,
        { ...after, selections: { ...after.selections, 'a-2': { c: 'B', p: 'r', s: 'ok' } } },
        { selections: [{ agent: 'a-2', variation: 'B' }], rewards: [reward('g-1')] },
      ),
      false,
      'a selection counted beside the reward',
    );
    // A stored state the engine tidied (a policy it does not know) differs from the one read.
    const untidy = {
      ...before,
      selections: { 'a-1': { c: 'A', p: 'z', s: 'ok' } },
    } as unknown as VisitorState;
    assert.equal(givenBack(untidy, after, { selections: [], rewards: [reward('g-1')] }), false);
    // A cached shared instance is read, never written.
    const shared = cachedForm(usualState('A'));
    const sharedAfter = { ...usualState('A'), rewarded: ['g-1|a-1'] };
    assert.equal(givenBack(shared, sharedAfter, { selections: [], rewards: [reward('g-1')] }), true);
    assert.deepEqual(shared, usualState('A'));
  });

  test('shared instances are given back exactly when the states they stand for are', () => {
    // givenBack compares two cached (shared) instances without building the state a read gives:
    // every combination here must answer as the same states, not shared, do.
    const state = (agent: string, variation: string, goals: string[]): VisitorState => ({
      selections: { [agent]: { c: variation, p: 'r', s: 'ok' } },
      rewarded: goals,
      traits: [],
    });
    const goalLists = [
      [],
      ['g-1|a-1'],
      ['g-2|a-1'],
      ['g-1|a-1', 'g-2|a-1'],
      ['g-2|a-1', 'g-1|a-1'],
      ['g-1|a-2'],
    ];
    const rewardLists = [
      [{ agent: 'a-1', goal: 'g-1' }],
      [{ agent: 'a-1', goal: 'g-2' }],
      [{ agent: 'a-2', goal: 'g-1' }],
      [
        { agent: 'a-1', goal: 'g-1' },
        { agent: 'a-1', goal: 'g-1' },
      ],
      [
        { agent: 'a-1', goal: 'g-1' },
        { agent: 'a-1', goal: 'g-2' },
      ],
      [
        { agent: 'a-1', goal: 'g-2' },
        { agent: 'a-1', goal: 'g-1' },
      ],
    ];
    const kinds = [
      ['a-1', 'A'],
      ['a-1', 'B'],
      ['a-2', 'A'],
    ];
    let given = 0;
    let checked = 0;
    for (const [beforeAgent, beforeVariation] of kinds)
      for (const [afterAgent, afterVariation] of kinds)
        for (const was of goalLists)
          for (const now of goalLists)
            for (const rewards of rewardLists) {
              const before = state(beforeAgent, beforeVariation, was);
              const after = state(afterAgent, afterVariation, now);
              const counted = { selections: [], rewards };
              const sharedBefore = cachedForm(before);
              const sharedAfter = cachedForm(after);
              assert.notEqual(sharedBefore, before, 'cached as a shared instance');
              assert.notEqual(sharedAfter, after, 'cached as a shared instance');
              const expected = givenBack(structuredClone(before), structuredClone(after), counted);
              assert.equal(
                givenBack(sharedBefore, sharedAfter, counted),
                expected,
                JSON.stringify({ before, after, rewards }),
              );
              if (expected) given++;
              checked++;
            }
    // Both answers occur: the comparison is not vacuous.
    assert.ok(given > 20 && given < checked, `${given} of ${checked} given back`);
    // A shared instance is its own cached form.
    const instance = cachedForm(state('a-1', 'A', ['g-1|a-1']));
    assert.equal(cachedForm(instance), instance);
  });

  test('the usual state is cached as one instance per agent, variation and goals used up; any other as it is', async () => {
    const usual = (variation: string): VisitorState => ({
      selections: { 'a-1': { c: variation, p: 'r', s: 'ok' } },
      rewarded: [],
      traits: [],
    });
    const a = cachedForm(usual('A'));
    assert.deepEqual(a, usual('A'));
    assert.equal(cachedForm(usual('A')), a, 'one instance for every session so selected');
    assert.notEqual(cachedForm(usual('B')), a);
    assert.deepEqual(cachedForm(usual('B')), usual('B'));
    // A reward of the usual session: one instance per goals used up, in their order.
    const rewarded = (...goals: string[]): VisitorState => ({ ...usual('A'), rewarded: goals });
    const once = cachedForm(rewarded('g|a-1'));
    assert.deepEqual(once, rewarded('g|a-1'));
    assert.equal(cachedForm(rewarded('g|a-1')), once);
    assert.notEqual(once, a);
    const twice = cachedForm(rewarded('g|a-1', 'h|a-1'));
    assert.deepEqual(twice, rewarded('g|a-1', 'h|a-1'));
    assert.notEqual(cachedForm(rewarded('h|a-1', 'g|a-1')), twice);
    assert.notEqual(cachedForm(rewarded('g|a-1\u0000h|a-1')), twice);
    const others: unknown[] = [
      rewarded('g1|a-1', 'g2|a-1', 'g3|a-1', 'g4|a-1', 'g5|a-1'),
      rewarded('g|a-1\u0000h|a-1'),
      { ...usual('A'), rewarded: [1] },
      { ...usual('A'), traits: ['cust/F:1'] },
      { ...usual('A'), eligible: { 'a-1': 1 } },
      { ...usual('A'), placed: { g: 'a-1' } },
      { ...usual('A'), selections: { 'a-1': { c: 'A', p: 'a', s: 'ok' } } },
      { ...usual('A'), selections: { 'a-1': { c: 'A', p: 'r', s: 'p' } } },
      {
        ...usual('A'),
        selections: { 'a-1': { c: 'A', p: 'r', s: 'ok' }, 'a-2': { c: 'B', p: 'r', s: 'ok' } },
      },
      { ...usual('A'), selections: {} },
      { ...usual('A'), selections: JSON.parse('{"__proto__":{"c":"A","p":"r","s":"ok"}}') },
      // as a corrupt stored row may read
      { ...usual('A'), rewarded: 'none' },
      { ...usual('A'), selections: null },
      { ...usual('A'), selections: { 'a-1': 'A' } },
      { selections: { 'a-1': { c: 'A', p: 'r', s: 'ok' } } },
    ];
    for (const other of others) assert.equal(cachedForm(other as VisitorState), other, JSON.stringify(other));

    // Through the store: what is remembered reads back equal, for sessions of any account.
    const visitors = createVisitorStore(ts.store.db);
    visitors.remember('acc-1', 'usual-1', usual('A'));
    visitors.remember('acc-2', 'usual-2', usual('A'));
    assert.deepEqual(await visitors.get('acc-1', 'usual-1'), usual('A'));
    assert.equal(await visitors.get('acc-2', 'usual-2'), await visitors.get('acc-1', 'usual-1'));
  });

  test("derivable: a new session's one randomly allocated, counted selection, and nothing else", () => {
    const state = (): VisitorState => ({
      selections: { 'a-1': { c: 'B', p: 'r', s: 'ok' } },
      rewarded: [],
      traits: [],
    });
    const counted = [{ agent: 'a-1', variation: 'B' }];
    assert.equal(derivable(state(), counted), true);
    // What a read gives back is exactly that state.
    assert.deepEqual(withCountedEvents(null, counted, []), state());

    assert.equal(derivable(state(), []), false, 'not counted (a QA session)');
    assert.equal(derivable(state(), [{ agent: 'a-1', variation: 'A' }]), false);
    assert.equal(derivable(state(), [{ agent: 'a-2', variation: 'B' }]), false);
    assert.equal(derivable({ ...state(), traits: ['cust/plan:pro'] }, counted), false, 'traits');
    assert.equal(derivable({ ...state(), rewarded: ['g-1|a-1'] }, counted), false, 'rewards');
    assert.equal(derivable({ ...state(), eligible: { 'a-1': 1 } }, counted), false, 'aiming');
    assert.equal(derivable({ ...state(), placed: { x: 'a-1' } }, counted), false, 'aiming');
    const adaptive = state();
    adaptive.selections['a-1'].p = 'a';
    assert.equal(derivable(adaptive, counted), false, 'a policy the read cannot know');
    const provisional = state();
    provisional.selections['a-1'].s = 'p';
    assert.equal(derivable(provisional, counted), false, 'provisional');
    const two = state();
    two.selections['a-2'] = { c: 'A', p: 'r', s: 'ok' };
    assert.equal(
      derivable(two, [...counted, { agent: 'a-2', variation: 'A' }]),
      false,
      'several: their order would rest on the collation of agent codes',
    );
  });
});
