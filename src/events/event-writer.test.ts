import assert from 'node:assert/strict';
import { statSync } from 'node:fs';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  createFileTestStore,
  createTestStore,
  type FileTestStore,
  type TestStore,
} from '../../test/helpers/store.js';
import type { EventWrite } from './event-store.js';
import { createEventWriter } from './event-writer.js';

const at = Date.UTC(2026, 0, 10);
const selectionWrite = (session: string): EventWrite => ({
  visitor: { accountId: 'acc-1', session, state: '{}', at },
  selections: [{ accountId: 'acc-1', deployTargetId: 'dt-1', session, agent: 'a-x', variation: 'A', at }],
  rewards: [],
});

describe('the event writer on a SQLite file (commit thread)', () => {
  let ts: FileTestStore;
  before(async () => {
    ts = await createFileTestStore('writer');
  });
  after(() => ts.dispose());

  test('concurrent writes are committed in few batches, visible to the request thread once resolved', async () => {
    const writer = createEventWriter(ts.store);
    const sizeBefore = statSync(ts.file).size;
    try {
      await Promise.all(Array.from({ length: 200 }, (_, i) => writer.record(selectionWrite(`w-${i}`))));
      const { count } = await ts.store.db
        .selectFrom('selection_events')
        .select((eb) => eb.fn.countAll<number>().as('count'))
        .executeTakeFirstOrThrow();
      assert.equal(Number(count), 200);
      const stats = writer.stats();
      assert.equal(stats.items, 200);
      assert.equal(stats.selectionsCounted, 200);
      assert.ok(stats.batches < 20, `200 concurrent writes took ${stats.batches} commits`);
      // Far fewer pages than SQLite's automatic checkpoint waits for: the checkpoint thread copied them.
      // Polled, with room for a machine busy with other work.
      const deadline = Date.now() + 30_000;
      while (statSync(ts.file).size <= sizeBefore && Date.now() < deadline) {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(statSync(ts.file).size > sizeBefore, 'the WAL was checkpointed into the database');
    } finally {
      await writer.close();
    }
  });

  test('close commits what is pending before it returns', async () => {
    const writer = createEventWriter(ts.store);
    const pending = Array.from({ length: 10 }, (_, i) => writer.record(selectionWrite(`c-${i}`)));
    await writer.close();
    await Promise.all(pending);
    const rows = await ts.store.db
      .selectFrom('selection_events')
      .select('session')
      .where('session', 'like', 'c-%')
      .execute();
    assert.equal(rows.length, 10);
    await assert.rejects(writer.record(selectionWrite('after-close')));
  });

  test('one write the store refuses fails alone: the writes it was batched with are committed', async () => {
    await oneBadWriteFailsAlone(ts);
  });

  test('a commit that fails rejects its writers; nothing is acknowledged', async () => {
    const writer = createEventWriter(ts.store);
    try {
      await sql`alter table selection_events rename to selection_events_moved`.execute(ts.store.db);
      await assert.rejects(writer.record(selectionWrite('fails-1')), /selection_events/);
      await sql`alter table selection_events_moved rename to selection_events`.execute(ts.store.db);
      await writer.record(selectionWrite('fails-2'));
      assert.equal(writer.stats().failures, 1);
    } finally {
      await writer.close();
    }
  });
});

/** Four writes at once, one of them refused by the store (a NOT NULL column given null). */
async function oneBadWriteFailsAlone(ts: TestStore): Promise<void> {
  const writer = createEventWriter(ts.store);
  try {
    const bad = selectionWrite('refused');
    bad.selections[0].variation = null as unknown as string;
    const results = await Promise.allSettled([
      writer.record(selectionWrite('beside-1')),
      writer.record(bad),
      writer.record(selectionWrite('beside-2')),
      writer.record(selectionWrite('beside-3')),
    ]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled', 'fulfilled'],
    );
    const rows = await ts.store.db
      .selectFrom('selection_events')
      .select('session')
      .where('session', 'in', ['beside-1', 'beside-2', 'beside-3', 'refused'])
      .orderBy('session')
      .execute();
    assert.deepEqual(
      rows.map((r) => r.session),
      ['beside-1', 'beside-2', 'beside-3'],
    );
  } finally {
    await writer.close();
  }
}

describe('the event writer on the store under test (SQLite in memory, or PostgreSQL)', () => {
  let ts: TestStore;
  before(async () => {
    ts = await createTestStore();
  });
  after(() => ts.dispose());

  test('one write the store refuses fails alone: the writes it was batched with are committed', async () => {
    await oneBadWriteFailsAlone(ts);
  });
});
