/**
 * Limits shared by every server (`TESSERA_REDIS_URL`): per-key rate limits and sign-in throttling
 * count in one Redis, so a key limited to 10 requests a second gets 10 across all servers, not 10
 * per server, and password guesses spread over servers count together.
 *
 * Redis is a helper here, not a dependency of answering: commands fail fast while it is
 * unreachable (no offline queue, one try), and each counter then falls back to counting in this
 * process (rate-limiter-flexible's insurance limiter) until Redis is back: limits hold per server
 * meanwhile, and no request fails because of Redis.
 */
import { Redis } from 'ioredis';
import { RateLimiterMemory, RateLimiterRedis } from 'rate-limiter-flexible';
import { createKeyRateLimiter, type KeyRateLimiter } from './key-rate-limiter.js';
import { createLoginThrottle, type LoginThrottle } from './login-throttle.js';

export interface SharedLimits {
  keyRateLimiter: KeyRateLimiter;
  loginThrottle: LoginThrottle;
  redis: Redis;
  close(): Promise<void>;
}

export interface SharedLimitsOptions {
  /** prefix of every Redis key, so several installations (or tests) may share one Redis */
  prefix?: string;
  /** where a lost connection is reported; the client keeps reconnecting */
  onError?: (error: Error) => void;
}

export function createRedisLimits(url: string, options: SharedLimitsOptions = {}): SharedLimits {
  const redis = new Redis(url, {
    enableOfflineQueue: false,
    maxRetriesPerRequest: 1,
    connectTimeout: 2_000,
    commandTimeout: 1_000,
    // reconnect steadily, at most every 2 s
    retryStrategy: (times) => Math.min(times * 100, 2_000),
  });
  let lastError = '';
  redis.on('error', (error: Error) => {
    // one report per distinct failure, not one per reconnection attempt
    if (error.message === lastError) return;
    lastError = error.message;
    options.onError?.(error);
  });
  redis.on('ready', () => {
    lastError = '';
  });
  const prefix = options.prefix ?? 'tessera';
  const shared = <O extends { points: number; duration: number; keyPrefix: string }>(o: O) =>
    new RateLimiterRedis({
      ...o,
      keyPrefix: `${prefix}:${o.keyPrefix}`,
      storeClient: redis,
      // While Redis is not ready, count here at once instead of waiting for a timeout.
      rejectIfRedisNotReady: true,
      insuranceLimiter: new RateLimiterMemory(o),
    });
  return {
    keyRateLimiter: createKeyRateLimiter(shared),
    loginThrottle: createLoginThrottle({ make: shared }),
    redis,
    async close() {
      if (redis.status === 'ready') await redis.quit().catch(() => {});
      // also stops reconnecting to a Redis that never answered
      redis.disconnect();
    },
  };
}
