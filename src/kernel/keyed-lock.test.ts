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
