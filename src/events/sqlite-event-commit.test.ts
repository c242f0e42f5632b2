import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { holdWriteLock } from '../../test/helpers/sqlite-write-lock.js';
import { createFileTestStore, type FileTestStore } from '../../test/helpers/store.js';
import type { SqliteConnection } from '../store/connect.js';
import { createSqliteCommit } from './sqlite-event-commit.js';

let ts: FileTestStore;
before(async () => {
  ts = await createFileTestStore('event-commit');
});
after(() => ts.dispose());

test('a batch of rewards waits while another connection writes, instead of failing', async () => {
  const commit = createSqliteCommit(ts.store.sqlite as SqliteConnection);
  const at = Date.parse('2026-12-07T12:00:00Z');
  const ref = { accountId: 'acc-1', deployTargetId: 'dt-1', session: 's-1', agent: 'a-1' };
  commit([{ selections: [{ ...ref, variation: 'B', at }], rewards: [] }]);
  // A batch of rewards reads each one's selection before it writes: begun deferred, it was
  // refused at once (SQLITE_BUSY) while the lock was held, where SQLite does not wait.
  const lock = await holdWriteLock(ts.file, 300);
  const outcome = commit([{ selections: [], rewards: [{ ...ref, goal: 'g-1', value: 1, at }] }]);
  assert.deepEqual(outcome, { selectionsCounted: 0, rewardsCounted: 1 });
  await lock.released;
  const rows = await ts.store.db.selectFrom('reward_events').select(['session', 'variation']).execute();
  assert.deepEqual(rows, [{ session: 's-1', variation: 'B' }]);
});
