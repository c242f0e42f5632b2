/**
 * 0014 on SQLite: the counted rewards move to a key that leads with the session, every row kept,
 * and a session's rewards are then read through the key instead of a scan. Down and up again
 * restore the rows each way.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../connect.js';
import { migrateToLatest } from '../migrate.js';
import { down, up } from './0014-reward-events-by-session.js';

const rows = [
  ['acc', 'a-1', 'g-1', 's-1', 'A', 'dt', 20000, 1, 1],
  ['acc', 'a-2', 'g-1', 's-1', 'B', 'dt', 20000, 2.5, 2],
  ['acc', 'a-1', 'g-2', 's-2', 'B', 'dt', 20001, 1, 3],
];

test('the counted rewards are rebuilt under (account, session, agent, goal), none lost', async () => {
  const store = openStore({ url: 'sqlite::memory:' });
  try {
    await migrateToLatest(store);
    const sqlite = store.sqlite;
    assert.ok(sqlite);
    const plan = () =>
      sqlite
        .prepare(
          'explain query plan select agent, goal from reward_events where account_id = ? and session = ?',
        )
        .all('acc', 's-1')
        .map((row) => (row as { detail: string }).detail)
        .join('; ');
    const all = () =>
      sqlite
        .prepare('select * from reward_events order by session, agent, goal')
        .raw()
        .all()
        .map((row) => JSON.stringify(row));

    // Back to the old key, with rows written there, then forward again.
    await down(store.db as never);
    // The old key reads every reward of the account to find one session's.
    assert.doesNotMatch(plan(), /session=\?/);
    const insert = sqlite.prepare(
      'insert into reward_events (account_id, agent, goal, session, variation, deploy_target_id, day, value, at) values (?, ?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const row of rows) insert.run(row);
    const before = all();
    await up(store.db as never);
    assert.deepEqual(all(), before);
    assert.match(plan(), /SEARCH reward_events USING (COVERING )?INDEX \S+ \(account_id=\? AND session=\?\)/);
    // The conflict target of the commit still matches the key: a session's goal counts once per agent.
    const counted = sqlite
      .prepare(
        `insert into reward_events (account_id, agent, goal, session, variation, deploy_target_id, day, value, at)
         values ('acc', 'a-1', 'g-1', 's-1', 'A', 'dt', 20002, 1, 4) on conflict (account_id, agent, goal, session) do nothing`,
      )
      .run();
    assert.equal(counted.changes, 0);

    await down(store.db as never);
    assert.deepEqual(all(), before);
  } finally {
    await store.close();
  }
});
