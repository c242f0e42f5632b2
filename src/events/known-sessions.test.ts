import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestStore, type TestStore } from '../../test/helpers/store.js';
import { openStore } from '../store/connect.js';
import { migrateToLatest } from '../store/migrate.js';
import { createEventWriter } from './event-writer.js';
import { createKnownSessions } from './known-sessions.js';
import { storedSessionReader } from './session-events.js';

// SQLite only by design (PostgreSQL, shared by servers, is always read): these run on every suite.
describe('known sessions', () => {
  let ts: TestStore;
  before(async () => {
    ts = await createTestStore('sqlite');
    const selection = { deploy_target_id: 'dt', day: 1, at: 1, traits: null, variation: 'A' };
    // More rows than a chunk, several agents per session, two accounts, and states without selections.
    await ts.store.db
      .insertInto('selection_events')
      .values(
        Array.from({ length: 12 }, (_, i) => [
          { ...selection, account_id: `acc-${i % 2}`, session: `s-${i}`, agent: 'a-1' },
          { ...selection, account_id: `acc-${i % 2}`, session: `s-${i}`, agent: 'a-2' },
        ]).flat(),
      )
      .execute();
    await ts.store.db
      .insertInto('visitors')
      .values(
        Array.from({ length: 7 }, (_, i) => ({
          account_id: 'acc-0',
          session: `state-only-${i}`,
          state: '{}',
          updated_at: 1,
        })),
      )
      .execute();
  });
  after(() => ts.dispose());

  const sqlite = () => {
    if (!ts.store.sqlite) throw new Error('a SQLite store');
    return ts.store.sqlite;
  };

  test('every stored session may be held once read in, a chunk at a time; others certainly are not', async () => {
    const known = createKnownSessions(sqlite(), { chunk: 3 });
    await known.load();
    for (let i = 0; i < 12; i++)
      assert.ok(known.mayHold({ accountId: `acc-${i % 2}`, session: `s-${i}` }), `s-${i}`);
    for (let i = 0; i < 7; i++) assert.ok(known.mayHold({ accountId: 'acc-0', session: `state-only-${i}` }));
    assert.equal(known.mayHold({ accountId: 'acc-0', session: 'never' }), false);
    // A session is per account.
    assert.equal(known.mayHold({ accountId: 'acc-1', session: 's-0' }), false);
    assert.equal(known.stats().loaded, true);
  });

  test('until read in, every session may be held; the first question starts the read-in', async () => {
    const known = createKnownSessions(sqlite());
    assert.equal(known.mayHold({ accountId: 'acc-0', session: 'never' }), true);
    await known.load();
    assert.equal(known.mayHold({ accountId: 'acc-0', session: 'never' }), false);
  });

  test('grows past its first filter without forgetting a session', async () => {
    const known = createKnownSessions(sqlite(), { capacity: 4 });
    await known.load();
    for (let i = 0; i < 200; i++) known.add({ accountId: 'acc-g', session: `g-${i}` });
    for (let i = 0; i < 200; i++)
      assert.ok(known.mayHold({ accountId: 'acc-g', session: `g-${i}` }), `g-${i}`);
    assert.ok(known.stats().filters > 3, `${known.stats().filters} filters`);
  });

  test('a session written again is counted once, so rewrites do not grow the filters', async () => {
    const known = createKnownSessions(sqlite(), { capacity: 4 });
    await known.load();
    const before = known.stats();
    for (let i = 0; i < 100; i++) known.add({ accountId: 'acc-g', session: 'again' });
    assert.equal(known.stats().sessions, before.sessions + 1);
    assert.equal(known.stats().filters, before.filters);
  });

  test('a read-in that fails leaves every session "maybe", and is tried again later', async () => {
    const bare = openStore({ url: 'sqlite::memory:' });
    const sqliteOf = bare.sqlite;
    assert.ok(sqliteOf);
    const errors: unknown[] = [];
    try {
      const known = createKnownSessions(sqliteOf, { retryMs: 0, onError: (error) => errors.push(error) });
      // No tables yet: the read-in fails.
      assert.equal(known.mayHold({ accountId: 'acc-0', session: 'x' }), true);
      await known.load();
      assert.equal(errors.length, 1);
      assert.equal(known.mayHold({ accountId: 'acc-0', session: 'x' }), true);
      await migrateToLatest(bare);
      await known.load();
      assert.equal(known.mayHold({ accountId: 'acc-0', session: 'x' }), false);
    } finally {
      await bare.close();
    }
  });

  test('the event writer tells of every session it writes, and the reader reads them', async () => {
    const known = createKnownSessions(sqlite());
    await known.load();
    const writer = createEventWriter(ts.store, { knownSessions: known });
    const read = storedSessionReader(sqlite(), known.mayHold);
    try {
      const at = Date.UTC(2026, 0, 10);
      await writer.record({
        selections: [
          { accountId: 'acc-w', deployTargetId: 'dt', session: 'selected', agent: 'a-1', variation: 'B', at },
        ],
        rewards: [],
      });
      await writer.record({
        visitor: { accountId: 'acc-w', session: 'stated', state: '{}', at },
        selections: [],
        rewards: [],
      });
      assert.deepEqual(read({ accountId: 'acc-w', session: 'selected' }), {
        state: null,
        selections: [{ agent: 'a-1', variation: 'B' }],
        rewards: [],
      });
      assert.deepEqual(read({ accountId: 'acc-w', session: 'stated' }), {
        state: '{}',
        selections: [],
        rewards: [],
      });
      assert.equal(read({ accountId: 'acc-w', session: 'nothing' }), null);
      // What was stored before the read-in is read too.
      assert.deepEqual(read({ accountId: 'acc-1', session: 's-1' }), {
        state: null,
        selections: [
          { agent: 'a-1', variation: 'A' },
          { agent: 'a-2', variation: 'A' },
        ],
        rewards: [],
      });
    } finally {
      await writer.close();
    }
  });
});
