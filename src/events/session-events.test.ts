/**
 * Reading sessions by joining to their keys (store/values-table.ts), on the suite's store: the
 * states and the counted events of exactly the sessions asked for (of their own account), the
 * selections in the order they were counted, and no statement at all for no session.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestStore, recordingStatements, type TestStore } from '../../test/helpers/store.js';
import { commitEvents } from './event-store.js';
import { keptSessionKey, selectCountedEvents, selectVisitorStates, sessionKey } from './session-events.js';

let testStore: TestStore;
before(async () => {
  testStore = await createTestStore();
  const { db } = testStore.store;
  const selection = (accountId: string, session: string, agent: string, variation: string, at: number) => ({
    accountId,
    session,
    agent,
    variation,
    deployTargetId: 'dt',
    at,
  });
  await commitEvents(db, [
    {
      visitor: { accountId: 'acc-1', session: 's-1', state: '{"state":1}', at: 1 },
      // Counted later than the other agent's, though named first.
      selections: [selection('acc-1', 's-1', 'a-alpha', 'B', 20)],
      rewards: [],
    },
    { selections: [selection('acc-1', 's-1', 'a-beta', 'A', 10)], rewards: [] },
    { selections: [selection('acc-1', 's-2', 'a-alpha', 'A', 10)], rewards: [] },
    // The same session name in another account.
    {
      visitor: { accountId: 'acc-2', session: 's-1', state: '{"other":true}', at: 1 },
      selections: [selection('acc-2', 's-1', 'a-alpha', 'A', 10)],
      rewards: [],
    },
  ]);
  await commitEvents(db, [
    {
      selections: [],
      rewards: [
        {
          accountId: 'acc-1',
          session: 's-1',
          agent: 'a-alpha',
          goal: 'g',
          deployTargetId: 'dt',
          value: 1,
          at: 30,
        },
      ],
    },
  ]);
});
after(() => testStore?.dispose());

const asked = [
  { accountId: 'acc-1', session: 's-1' },
  { accountId: 'acc-1', session: 's-missing' },
];

test('states: those of the sessions asked for, not of the same name in another account', async () => {
  assert.deepEqual(await selectVisitorStates(testStore.store.db, asked), [
    { accountId: 'acc-1', session: 's-1', state: '{"state":1}' },
  ]);
});

test('counted events: the selections in the order they were counted, and the rewards', async () => {
  assert.deepEqual(await selectCountedEvents(testStore.store.db, asked), {
    selections: [
      { accountId: 'acc-1', session: 's-1', agent: 'a-beta', variation: 'A' },
      { accountId: 'acc-1', session: 's-1', agent: 'a-alpha', variation: 'B' },
    ],
    rewards: [{ accountId: 'acc-1', session: 's-1', agent: 'a-alpha', goal: 'g' }],
  });
});

test('no session asked for: nothing read, and no statement run', async () => {
  const { db, statements } = recordingStatements(testStore.store.db);
  assert.deepEqual(await selectVisitorStates(db, []), []);
  assert.deepEqual(await selectCountedEvents(db, []), { selections: [], rewards: [] });
  assert.deepEqual(statements, []);
});

test('a kept key is the same key: the cache is written under it and read under `sessionKey`', () => {
  const url = '/acc_0123456789abcdef/v3/agent-api?apikey=k&session=visitor-0123456789';
  // Slices of a URL, as the runtime has them.
  const sliced: [string, string] = [url.slice(1, 21), url.slice(url.indexOf('session=') + 8)];
  const pairs: [string, string][] = [
    sliced,
    ['acc', 's'],
    ['acc', ''],
    ['acc', 'é ☃ 😀 a\u0000b'],
    ['', 'x'],
  ];
  for (const [accountId, session] of pairs) {
    assert.equal(keptSessionKey(accountId, session), sessionKey(accountId, session));
  }
});
