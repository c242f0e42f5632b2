import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { createTestStore, type TestStore } from '../../test/helpers/store.js';
import type { EventWrite } from './event-store.js';
import { createCommitThread } from './sqlite-commit-thread.js';

const MB = 1024 * 1024;

describe('the SQLite commit thread', () => {
  let dir: string;
  let file: string;
  let ts: TestStore;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-commit-thread-'));
    file = join(dir, 'events.db');
    ts = await createTestStore('sqlite', file);
  });
  after(async () => {
    await ts.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('keeps the WAL within its bound while commits never pause', async () => {
    // A small bound, so that a few seconds of commits pass it many times over.
    const bound = 2 * MB;
    const thread = createCommitThread(ts.store.url, { walRestartBytes: bound });
    const state = JSON.stringify({ padding: 'x'.repeat(1000) });
    let largest = 0;
    try {
      for (let round = 0; round < 60; round++) {
        const writes: EventWrite[] = Array.from({ length: 200 }, (_, i) => ({
          visitor: { accountId: 'acc-1', session: `r${round}-${i}`, state, at: round },
          selections: [],
          rewards: [],
        }));
        await thread.commit(writes);
        largest = Math.max(largest, statSync(`${file}-wal`).size);
      }
    } finally {
      await thread.close();
    }
    // 60 rounds wrote well over 12 MB of rows (and more of index pages) through the log.
    const { count } = await ts.store.db
      .selectFrom('visitors')
      .select((eb) => eb.fn.countAll<number>().as('count'))
      .executeTakeFirstOrThrow();
    assert.equal(Number(count), 12_000);
    // The bound, plus what commits arrive while the checkpoint thread holds a restart off.
    assert.ok(
      largest < 3 * bound,
      `the WAL reached ${(largest / MB).toFixed(1)} MB (bound ${bound / MB} MB)`,
    );
  });
});
