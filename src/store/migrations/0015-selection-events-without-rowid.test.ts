/**
 * 0015 on SQLite: the counted selections become a `WITHOUT ROWID` table, every row kept; a
 * session's selections and a reward's cohort are then read from the key's tree alone. Down and
 * up again restore the rows each way.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openStore } from '../connect.js';
import { migrateToLatest } from '../migrate.js';
import { down, up } from './0015-selection-events-without-rowid.js';

const rows = [
  ['acc', 'a-1', 's-1', 'A', 'dt', 20000, 1, null],
  ['acc', 'a-2', 's-1', 'B', 'dt', 20000, 2, '["cust/plan:pro"]'],
  ['acc', 'a-1', 's-2', 'B', 'dt', 20001, 3, null],
];

test('the counted selections are rebuilt without a rowid under the same key, none lost', async () => {
  const store = openStore({ url: 'sqlite::memory:' });
  try {
    await migrateToLatest(store);
    const sqlite = store.sqlite;
    assert.ok(sqlite);
    const plan = (query: string) =>
      sqlite
        .prepare(`explain query plan ${query}`)
        .all()
        .map((row) => (row as { detail: string }).detail)
        .join('; ');
    const bySession =
      "select agent, variation from selection_events where account_id = 'acc' and session = 's-1'";
    const cohort =
      "select variation, deploy_target_id, day, traits from selection_events where account_id = 'acc' and agent = 'a-1' and session = 's-1'";
    const all = () =>
      sqlite
        .prepare('select * from selection_events order by session, agent')
        .raw()
        .all()
        .map((row) => JSON.stringify(row));
    // Back to the table with a rowid, with rows written there, then forward again.
    await down(store.db as never);
    // Found through the key's index, then read from the table beside it.
    assert.match(plan(bySession), /SEARCH selection_events USING INDEX sqlite_autoindex/);
    const insert = sqlite.prepare(
      'insert into selection_events (account_id, agent, session, variation, deploy_target_id, day, at, traits) values (?, ?, ?, ?, ?, ?, ?, ?)',
    );
    for (const row of rows) insert.run(row);
    const before = all();
    await up(store.db as never);
    assert.deepEqual(all(), before);
    // The rows are the key's tree: its primary key is the only index read.
    assert.match(
      plan(bySession),
      /SEARCH selection_events USING PRIMARY KEY \(account_id=\? AND session=\?\)/,
    );
    assert.match(
      plan(cohort),
      /SEARCH selection_events USING PRIMARY KEY \(account_id=\? AND session=\? AND agent=\?\)/,
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
    assert.match(plan(bySession), /SEARCH selection_events USING INDEX sqlite_autoindex/);
  } finally {
    await store.close();
  }
});
