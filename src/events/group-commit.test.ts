import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createGroupCommit, GroupCommitClosedError } from './group-commit.js';

describe('group commit', () => {
  test('items submitted together are committed in one batch, and each resolves only after it', async () => {
    const batches: number[][] = [];
    let committed = false;
    const group = createGroupCommit<number>(async (items) => {
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, 5));
      committed = true;
    });
    const settled = await Promise.all([1, 2, 3].map((n) => group.submit(n).then(() => committed)));
    assert.deepEqual(batches, [[1, 2, 3]]);
    assert.deepEqual(settled, [true, true, true]);
    const { commitMs, maxCommitMs, ...counts } = group.stats();
    assert.deepEqual(counts, { batches: 1, items: 3, failures: 0, pending: 0 });
    assert.ok(maxCommitMs >= 4 && commitMs >= maxCommitMs, `${commitMs} ${maxCommitMs}`);
  });

  test('items arriving while a commit is in flight ride the next one', async () => {
    const batches: number[][] = [];
    const group = createGroupCommit<number>(async (items) => {
      batches.push(items);
      await new Promise((resolve) => setTimeout(resolve, 10));
    });
    const first = group.submit(1);
    await new Promise((resolve) => setTimeout(resolve, 2));
    const later = [group.submit(2), group.submit(3)];
    await Promise.all([first, ...later]);
    assert.deepEqual(batches, [[1], [2, 3]]);
  });

  test('batchesInFlight: a batch formed while one commits is handed over at once, up to the limit', async () => {
    const measure = async (batchesInFlight: number | undefined) => {
      const started: number[][] = [];
      // Each commit waits until the test lets it finish: no timing decides the outcome.
      const gates: Array<() => void> = [];
      let committing = 0;
      let most = 0;
      const group = createGroupCommit<number>(
        async (items) => {
          started.push(items);
          most = Math.max(most, ++committing);
          await new Promise<void>((finish) => gates.push(finish));
          committing--;
        },
        batchesInFlight === undefined ? {} : { batchesInFlight },
      );
      // A batch starts a turn of the event loop after its first item.
      const turn = () => new Promise((resolve) => setImmediate(resolve));
      // Three waves, each submitted while the earlier ones are still committing.
      const waves: Promise<void>[] = [];
      for (const wave of [[1], [2, 3], [4]]) {
        waves.push(...wave.map((n) => group.submit(n)));
        await turn();
        await turn();
      }
      const beforeFlush = group.stats().pending;
      let settled = false;
      void Promise.all(waves).then(() => {
        settled = true;
      });
      while (!settled) {
        gates.shift()?.();
        await turn();
      }
      await group.flush();
      return { started, most, beforeFlush, after: group.stats() };
    };

    const one = await measure(undefined);
    assert.equal(one.most, 1, 'by default one batch commits at a time');
    assert.deepEqual(one.started, [[1], [2, 3, 4]]);

    const two = await measure(2);
    assert.equal(two.most, 2);
    assert.deepEqual(two.started, [[1], [2, 3], [4]], 'the third wave waits for a lane');
    assert.equal(two.beforeFlush, 4, 'every item is pending until its batch committed');
    assert.deepEqual(
      { batches: two.after.batches, items: two.after.items, pending: two.after.pending },
      { batches: 3, items: 4, pending: 0 },
    );
  });

  test('a failed commit rejects every item of its batch, and the next batch still commits', async () => {
    let fail = true;
    const group = createGroupCommit<string>(async () => {
      if (fail) throw new Error('disk full');
    });
    const results = await Promise.allSettled([group.submit('a'), group.submit('b')]);
    assert.deepEqual(
      results.map((r) => r.status),
      ['rejected', 'rejected'],
    );
    assert.equal((results[0] as PromiseRejectedResult).reason.message, 'disk full');
    fail = false;
    await group.submit('c');
    assert.equal(group.stats().failures, 1);
    assert.equal(group.stats().batches, 1);
  });

  test('retryAlone: a batch refused for one item is committed again item by item; only that item fails', async () => {
    const commits: string[][] = [];
    const make = (retryAlone: boolean) =>
      createGroupCommit<string>(
        async (items) => {
          commits.push(items);
          if (items.includes('bad')) throw new Error('the store refuses "bad"');
        },
        { retryAlone: (error) => retryAlone && (error as Error).message.includes('refuses') },
      );
    const isolated = await Promise.allSettled(['a', 'bad', 'c'].map((item) => make(true).submit(item)));
    assert.deepEqual(
      isolated.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
      'separate groups: each alone',
    );
    commits.length = 0;
    const group = make(true);
    const results = await Promise.allSettled(['a', 'bad', 'c'].map((item) => group.submit(item)));
    assert.deepEqual(
      results.map((r) => r.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.deepEqual(commits, [['a', 'bad', 'c'], ['a'], ['bad'], ['c']]);
    const { batches, items, failures } = group.stats();
    assert.deepEqual({ batches, items, failures }, { batches: 2, items: 2, failures: 1 });

    const unavailable = make(false);
    const all = await Promise.allSettled(['a', 'bad', 'c'].map((item) => unavailable.submit(item)));
    assert.deepEqual(
      all.map((r) => r.status),
      ['rejected', 'rejected', 'rejected'],
      'an error not for retrying alone fails the batch at once',
    );
  });

  test('batches never exceed maxBatch', async () => {
    const sizes: number[] = [];
    const group = createGroupCommit<number>(
      async (items) => {
        sizes.push(items.length);
      },
      { maxBatch: 4 },
    );
    await Promise.all(Array.from({ length: 10 }, (_, i) => group.submit(i)));
    assert.deepEqual(sizes, [4, 4, 2]);
  });

  test('flush waits for everything pending; close refuses what comes after', async () => {
    const seen: number[] = [];
    const group = createGroupCommit<number>(async (items) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      seen.push(...items);
    });
    void group.submit(1);
    void group.submit(2);
    await group.close();
    assert.deepEqual(seen, [1, 2]);
    await assert.rejects(group.submit(3), GroupCommitClosedError);
  });
});
