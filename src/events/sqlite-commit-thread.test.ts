import assert from 'node:assert/strict';
import { closeSync, openSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { createFileTestStore, type FileTestStore } from '../../test/helpers/store.js';
import type { EventWrite } from './event-store.js';
import { createCommitThread } from './sqlite-commit-thread.js';
import { logBytes } from './sqlite-commit-worker.js';

const MB = 1024 * 1024;

describe('the SQLite commit thread', () => {
  let ts: FileTestStore;
  before(async () => {
    ts = await createFileTestStore('commit-thread');
  });
  after(() => ts.dispose());

  test('keeps the WAL within its bound while commits never pause', async () => {
    // A small bound, so that a few seconds of commits pass it many times over.
    const bound = 2 * MB;
    const thread = createCommitThread(ts.store.url, { walRestartBytes: bound });
    const state = JSON.stringify({ padding: 'x'.repeat(1000) });
    let largest = 0;
    // Once the file has reached the bound, restarts write over it from the start: it keeps its size.
    let reached = false;
    let smallestAfter = Number.POSITIVE_INFINITY;
    try {
      for (let round = 0; round < 60; round++) {
        const writes: EventWrite[] = Array.from({ length: 200 }, (_, i) => ({
          visitor: { accountId: 'acc-1', session: `r${round}-${i}`, state, at: round },
          selections: [],
          rewards: [],
        }));
        await thread.commit(writes);
        const size = statSync(`${ts.file}-wal`).size;
        largest = Math.max(largest, size);
        if (reached) smallestAfter = Math.min(smallestAfter, size);
        reached ||= size >= bound;
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
    assert.ok(reached, 'the log never reached its bound: nothing was restarted');
    assert.ok(
      smallestAfter >= bound,
      `the WAL file was trimmed to ${(smallestAfter / MB).toFixed(1)} MB after a restart (bound ${bound / MB} MB)`,
    );
  });

  test('reads how much log the WAL holds from its wal-index', () => {
    const path = join(ts.dir, 'log.db');
    const sqlite = new Database(path);
    try {
      sqlite.pragma('journal_mode = WAL');
      sqlite.pragma('wal_autocheckpoint = 0');
      sqlite.exec('create table t (v text)');
      const insert = sqlite.prepare('insert into t (v) values (?)');
      const shm = openSync(`${path}-shm`, 'r');
      const header = Buffer.alloc(20);
      try {
        for (let i = 0; i < 50; i++) {
          insert.run('y'.repeat(3000));
          // Before any restart the log fills the file from its start: the two agree to the byte.
          assert.equal(logBytes(shm, header), statSync(`${path}-wal`).size);
        }
        sqlite.pragma('wal_checkpoint(RESTART)');
        insert.run('z');
        // Restarted, the log is the one commit's frames at the start of a file that kept its size.
        const frames = logBytes(shm, header) as number;
        assert.ok(frames > 0 && frames < 3 * (4096 + 24) + 32, `${frames} bytes of log after a restart`);
        assert.ok(statSync(`${path}-wal`).size > 40 * 3000);
      } finally {
        closeSync(shm);
      }
    } finally {
      sqlite.close();
    }
  });
});
