import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createKeyedLock } from './keyed-lock.js';

test('work under one key takes turns, other keys run meanwhile, a failure does not block the next', async () => {
  const lock = createKeyedLock();
  const order: string[] = [];
  const work =
    (name: string, ms: number, fail = false) =>
    async () => {
      order.push(`${name} start`);
      await sleep(ms);
      order.push(`${name} end`);
      if (fail) throw new Error(`${name} failed`);
      return name;
    };
  const results = await Promise.allSettled([
    lock.run('a', work('first', 50, true)),
    lock.run('a', work('second', 1)),
    lock.run('b', work('other', 1)),
  ]);
  assert.deepEqual(order, [
    'first start',
    'other start',
    'other end',
    'first end',
    'second start',
    'second end',
  ]);
  assert.equal(results[0].status, 'rejected');
  assert.deepEqual(results[1], { status: 'fulfilled', value: 'second' });
  assert.equal(lock.size, 0, 'an idle lock holds nothing');
});

test('turns under one key start in the order they were asked for, a synchronous throw included', async () => {
  const lock = createKeyedLock();
  const order: number[] = [];
  const runs = [0, 1, 2, 3, 4].map((n) =>
    lock.run('a', () => {
      order.push(n);
      if (n === 1) throw new Error('thrown before any await');
      return sleep(n === 0 ? 20 : 1).then(() => n);
    }),
  );
  assert.equal(lock.size, 1, 'one key while its turns run or wait');
  const results = await Promise.allSettled(runs);
  assert.deepEqual(order, [0, 1, 2, 3, 4]);
  assert.equal(results[1].status, 'rejected');
  assert.deepEqual(
    results.filter((r) => r.status === 'fulfilled').map((r) => r.value),
    [0, 2, 3, 4],
  );
  assert.equal(lock.size, 0);
});

test("busy while work under a key runs or waits; a free key's work starts before run returns", async () => {
  const lock = createKeyedLock();
  let release = () => {};
  let started = false;
  const first = lock.run('k', () => {
    started = true;
    return new Promise<void>((resolve) => {
      release = resolve;
    });
  });
  assert.equal(started, true, 'started at once');
  assert.equal(lock.busy('k'), true);
  assert.equal(lock.busy('other'), false);
  const second = lock.run('k', async () => {});
  release();
  await first;
  assert.equal(lock.busy('k'), true, 'the second still waits or runs');
  await second;
  assert.equal(lock.busy('k'), false);
});
