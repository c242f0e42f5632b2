import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { fakeSnapshots } from '../../test/helpers/runtime.js';
import { createTestStore, type TestStore } from '../../test/helpers/store.js';
import type { EventWrite } from '../events/event-store.js';
import { createEventWriter, type EventWriter } from '../events/event-writer.js';
import type { RewardItem, SelectionItem } from './engine.js';
import { createRuntimeService, type RuntimeRequest, StoreUnavailableError } from './runtime-service.js';
import { createVisitorStore } from './visitor-store.js';

describe('the runtime service', () => {
  let ts: TestStore;
  let writer: EventWriter;
  before(async () => {
    ts = await createTestStore();
    writer = createEventWriter(ts.store);
  });
  after(async () => {
    await writer.close();
    await ts.dispose();
  });

  const request = (session: string, commands: RuntimeRequest['commands']): RuntimeRequest => ({
    accountId: 'acc-1',
    deployTargetId: 'dt-1',
    session,
    commands,
    inputs: {},
    queryTraits: [],
    debug: false,
  });

  /** A runtime as one server has it; `shared`: a server among several on one store (no cache). */
  const server = (shared = false) =>
    createRuntimeService({
      snapshots: fakeSnapshots(),
      visitors: createVisitorStore(ts.store.db, { cacheStates: !shared }),
      events: writer,
    });

  test('concurrent requests of one session see each other: neither selection is lost', async () => {
    const runtime = server();
    await Promise.all([
      runtime.execute(request('together', [{ a: 'a-example' }])),
      runtime.execute(request('together', [{ a: 'a-three' }])),
      runtime.execute(request('together', [{ g: 'g-example' }])),
    ]);
    // A fresh server (empty cache) reads the stored state: both selections, the goal used up.
    const fresh = server();
    const later = await fresh.execute(
      request('together', [{ a: 'a-example' }, { a: 'a-three' }, { g: 'g-example' }]),
    );
    assert.deepEqual(
      later.items.slice(0, 2).map((i) => (i as SelectionItem).p),
      ['s', 's'],
    );
    // The concurrent reward ran after both selections: both agents were credited then.
    assert.deepEqual(later.items[2], {
      g: 'g-example',
      rs: [
        { a: 'a-example', v: 0 },
        { a: 'a-three', v: 0 },
      ],
    });
  });

  test('two servers agree on a new session’s variation without sharing anything but the store', async () => {
    const [one, two] = [server(), server()];
    for (let i = 0; i < 50; i++) {
      const a = await one.execute(request(`agree-${i}`, [{ a: 'a-three' }]));
      const b = await two.execute(request(`agree-${i}`, [{ a: 'a-three' }]));
      assert.equal((a.items[0] as SelectionItem).c, (b.items[0] as SelectionItem).c);
    }
  });

  test('two servers answering one session at the same instant lose nothing: counted events win over a state written over', async () => {
    // Servers sharing the store read it on every request (no cache). Both read the session's
    // (empty) state before either has written; each then writes a state holding only its own
    // selection, and the later write stays.
    const [one, two] = [server(true), server(true)];
    await Promise.all([
      one.execute(request('both-servers', [{ a: 'a-example' }])),
      two.execute(request('both-servers', [{ a: 'a-three' }])),
    ]);
    const later = await one.execute(
      request('both-servers', [{ a: 'a-example' }, { a: 'a-three' }, { g: 'g-example' }]),
    );
    assert.deepEqual(
      later.items.slice(0, 2).map((i) => (i as SelectionItem).p),
      ['s', 's'],
      'both selections are sticky: neither server’s was lost',
    );
    // Both selections were made at the same instant: either may be listed first.
    const credited = later.items[2] as RewardItem;
    assert.deepEqual(
      [...credited.rs].sort((x, y) => x.a.localeCompare(y.a)),
      [
        { a: 'a-example', v: 1 },
        { a: 'a-three', v: 1 },
      ],
    );
    const rewards = await ts.store.db
      .selectFrom('reward_events')
      .select('agent')
      .where('session', '=', 'both-servers')
      .orderBy('agent')
      .execute();
    assert.deepEqual(
      rewards.map((r) => r.agent),
      ['a-example', 'a-three'],
      'both credits were counted',
    );
  });

  test('two servers confirming one agent differently: the state follows the counted variation', async () => {
    const [one, two] = [server(true), server(true)];
    const [a, b] = await Promise.all([
      one.execute(request('split-c', [{ a: 'a-three', c: ['A'] }])),
      two.execute(request('split-c', [{ a: 'a-three', c: ['B'] }])),
    ]);
    assert.deepEqual(
      [(a.items[0] as SelectionItem).c, (b.items[0] as SelectionItem).c],
      ['A', 'B'],
      'each server answered what its request allowed',
    );
    const counted = await ts.store.db
      .selectFrom('selection_events')
      .select('variation')
      .where('session', '=', 'split-c')
      .executeTakeFirstOrThrow();
    for (const server of [one, two]) {
      const next = await server.execute(request('split-c', [{ a: 'a-three' }]));
      assert.equal(
        (next.items[0] as SelectionItem).c,
        counted.variation,
        'the counted variation is the sticky one',
      );
      assert.equal((next.items[0] as SelectionItem).p, 's');
    }
  });

  test('a write that fails is not remembered: the next request decides from the stored state', async () => {
    let fail = true;
    const flaky: EventWriter = {
      ...writer,
      record: (write: EventWrite) => (fail ? Promise.reject(new Error('disk gone')) : writer.record(write)),
    };
    const runtime = createRuntimeService({
      snapshots: fakeSnapshots(),
      visitors: createVisitorStore(ts.store.db),
      events: flaky,
    });
    await assert.rejects(runtime.execute(request('flaky', [{ a: 'a-three' }])), StoreUnavailableError);
    fail = false;
    const retried = await runtime.execute(request('flaky', [{ a: 'a-three' }]));
    assert.equal(
      (retried.items[0] as SelectionItem).p,
      'r',
      'decided anew, not sticky from an unrecorded state',
    );
  });

  test('a request that records nothing, of a session with a state and no other request running, takes no turn; one that records does', async () => {
    const visitors = createVisitorStore(ts.store.db);
    let turns = 0;
    const runtime = createRuntimeService({
      snapshots: fakeSnapshots(),
      visitors: {
        ...visitors,
        exclusive: (accountId, session, fn) => {
          turns++;
          return visitors.exclusive(accountId, session, fn);
        },
      },
      events: writer,
    });
    const first = await runtime.execute(request('turns', [{ a: 'a-three' }]));
    assert.equal(turns, 1, 'the first selection is recorded in the session’s turn');
    const again = await runtime.execute(request('turns', [{ a: 'a-three' }]));
    assert.equal(turns, 1, 'the same selection again records nothing');
    assert.equal((again.items[0] as SelectionItem).c, (first.items[0] as SelectionItem).c);
    assert.equal((again.items[0] as SelectionItem).p, 's');
    await runtime.execute(request('turns', [{ g: 'g-example' }]));
    assert.equal(turns, 2, 'a reward is recorded in the session’s turn');
    await runtime.execute({ ...request('turns', [{ a: 'a-three' }]), queryTraits: ['F:1'] });
    assert.equal(turns, 3, 'a new trait is recorded in the session’s turn');
  });

  test('a request of a session another request of which is still being recorded waits for it, and decides from what it recorded', async () => {
    let opened = () => {};
    let gate: Promise<void> = Promise.resolve();
    const held: EventWriter = {
      ...writer,
      record: (write: EventWrite) => gate.then(() => writer.record(write)),
    };
    const runtime = createRuntimeService({
      snapshots: fakeSnapshots(),
      visitors: createVisitorStore(ts.store.db),
      events: held,
    });
    await runtime.execute(request('waits', [{ a: 'a-three' }]));
    gate = new Promise((resolve) => (opened = resolve));
    const tagging = runtime.execute({ ...request('waits', [{ a: 'a-three' }]), queryTraits: ['F:1'] });
    let answered = false;
    const plain = runtime.execute(request('waits', [{ a: 'a-three' }])).then((answer) => {
      answered = true;
      return answer;
    });
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(answered, false, 'it waits while the other request is being recorded');
    opened();
    await tagging;
    assert.deepEqual((await plain).traits, ['cust/F:1'], 'it decided from the state the other recorded');
  });

  test('a request without a session gets a new one each time', async () => {
    const runtime = server();
    const a = await runtime.execute({ ...request('', []), session: undefined });
    const b = await runtime.execute({ ...request('', []), session: undefined });
    assert.match(a.session, /^[0-9A-Za-z]{22}$/);
    assert.notEqual(a.session, b.session);
  });
  test("a new session's first selection, and a reward, are each their one durable row; any other change stores the whole state", async () => {
    const stateOf = async (session: string) =>
      (
        await ts.store.db
          .selectFrom('visitors')
          .select('state')
          .where('account_id', '=', 'acc-1')
          .where('session', '=', session)
          .executeTakeFirst()
      )?.state;
    for (const shared of [false, true]) {
      const session = `one-row-${shared}`;
      const first = await server(shared).execute(request(session, [{ a: 'a-example' }]));
      const chosen = (first.items[0] as SelectionItem).c;
      assert.equal(await stateOf(session), undefined, 'the counted selection gives the state back');
      // A fresh server (nothing cached) reads it back: sticky, and credited by a reward.
      const fresh = server(shared);
      const again = await fresh.execute(request(session, [{ a: 'a-example' }, { g: 'g-example' }]));
      assert.deepEqual(again.items[0], { ...first.items[0], p: 's' });
      assert.deepEqual((again.items[1] as RewardItem).rs, [{ a: 'a-example', v: 1 }]);
      // The counted reward gives the goal used up back: still nothing stored, and no server
      // credits it again.
      assert.equal(await stateOf(session), undefined, 'the counted reward gives the state back');
      const third = await server(shared).execute(request(session, [{ g: 'g-example' }]));
      assert.deepEqual((third.items[0] as RewardItem).rs, [{ a: 'a-example', v: 0 }]);
      assert.equal(
        ((await server(shared).execute(request(session, [{ a: 'a-example' }]))).items[0] as SelectionItem).c,
        chosen,
      );
    }
    // A stored state that cannot be read is written over by the session's next change.
    await ts.store.db
      .insertInto('visitors')
      .values({ account_id: 'acc-1', session: 'one-row-corrupt', state: '{not json', updated_at: 1 })
      .execute();
    await server().execute(request('one-row-corrupt', [{ a: 'a-example' }]));
    assert.deepEqual(Object.keys(JSON.parse((await stateOf('one-row-corrupt')) ?? 'null').selections), [
      'a-example',
    ]);
    // Traits are not in a counted selection: that state is stored beside it, as before.
    await server().execute({ ...request('one-row-traits', [{ a: 'a-example' }]), queryTraits: ['plan:pro'] });
    const withTraits = JSON.parse((await stateOf('one-row-traits')) ?? 'null');
    assert.deepEqual(withTraits.traits, ['cust/plan:pro']);
    // Its reward changes only the goals used up: the stored state stays as it was, and a fresh
    // server reads it with the counted reward's goal used up.
    const credited = await server().execute(request('one-row-traits', [{ g: 'g-example' }]));
    assert.deepEqual((credited.items[0] as RewardItem).rs, [{ a: 'a-example', v: 1 }]);
    assert.deepEqual(JSON.parse((await stateOf('one-row-traits')) ?? 'null'), withTraits);
    const repeated = await server().execute(request('one-row-traits', [{ g: 'g-example' }]));
    assert.deepEqual((repeated.items[0] as RewardItem).rs, [{ a: 'a-example', v: 0 }]);
    // A reward beside another change (a trait) stores the whole state, the goal used up in it.
    await server().execute(request('one-row-both', [{ a: 'a-example' }]));
    await server().execute({ ...request('one-row-both', [{ g: 'g-example' }]), queryTraits: ['plan:max'] });
    const both = JSON.parse((await stateOf('one-row-both')) ?? 'null');
    assert.deepEqual([both.rewarded, both.traits], [['g-example|a-example'], ['cust/plan:max']]);
  });
});
