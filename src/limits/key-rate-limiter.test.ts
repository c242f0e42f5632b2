import assert from 'node:assert/strict';
import { test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { createMemoryRateLimiter } from './key-rate-limiter.js';

test('allows perSecond requests of a key per second, then says how long to wait; other keys are not affected', async () => {
  const limiter = createMemoryRateLimiter();
  for (let i = 0; i < 3; i++) assert.equal((await limiter.consume('key-a', 3)).allowed, true);
  const refused = await limiter.consume('key-a', 3);
  assert.equal(refused.allowed, false);
  assert.ok(refused.retryAfterMs > 0 && refused.retryAfterMs <= 1000, String(refused.retryAfterMs));
  assert.equal((await limiter.consume('key-b', 3)).allowed, true, 'another key has its own budget');
  assert.equal((await limiter.consume('key-c', 1)).allowed, true, 'and its own limit');
  await sleep(refused.retryAfterMs + 20);
  assert.equal((await limiter.consume('key-a', 3)).allowed, true, 'the budget comes back after the wait');
});
