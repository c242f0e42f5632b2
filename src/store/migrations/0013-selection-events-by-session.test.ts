/**
 * 0013 on SQLite: the counted selections move to a key that leads with the session, every row
 * kept, and a session's selections are then read through the key instead of a scan. Down and up
 * again restore the rows each way.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../connect.js';
import { migrateToLatest } from '../migrate.js';
import { down, up } from './0013-selection-events-by-session.js';

const rows = [
  ['acc', 'a-1', 's-1', 'A', 'dt', 20000, 1, null],
  ['acc', 'a-2', 's-1', 'B', 'dt', 20000, 2, '["cust/plan:pro"]'],
  ['acc', 'a-1', 's-2', 'B', 'dt', 20001, 3, null],
];

test('the counted selections are rebuilt under (account, session, agent), none lost', async () => {
  const store = openStore({ url: 'sqlite::memory:' });
  try {
    await migrateToLatest(store);
    const sqlite = store.sqlite;
    assert.ok(sqlite);
    const plan = () =>
      sqlite
        .prepare('explain query plan select agent from selection_events where account_id = ? and session = ?')
        .all('acc', 's-1')
        .map((row) => (row as { detail: string }).detail)
        .join('; ');
    const all = () =>
      sqlite
        .prepare('select * from selection_events order by session, agent')
        .raw()
        .all()
        .map((row) => JSON.stringify(row));

    // Back to the old key, with rows written there, then forward again.
    await down(store.db as never);
    // The old key reads every selection of the account to find one session's.
    assert.doesNotMatch(plan(), /session=\?/);
    const insert = sqlite.prepare(
      'insert into selection_events (account_id, agent, session, variation, deploy_target_id, day, at, traits) values (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const row of rows) insert.run(row);
    const before = all();
    await up(store.db as never);
    assert.deepEqual(all(), before);
    assert.match(
      plan(),
      /SEARCH selection_events USING (COVERING )?INDEX \S+ \(account_id=\? AND session=\?\)/,
    );
    // The conflict target of the commit still matches the key: a session's agent counts once.
    const counted = sqlite
      .prepare(
        `insert into selection_events (account_id, agent, session, variation, deploy_target_id, day, at, traits)
         values ('acc', 'a-1', 's-1', 'B', 'dt', 20002, 4, null) on conflict (account_id, agent, session) do nothing`,
      )
      .run();
    assert.equal(counted.changes, 0);

    await down(store.db as never);
    assert.deepEqual(all(), before);
  } finally {
    await store.close();
  }
});
