/**
 * Per-key request limits (`rateLimit: {"perSecond": N}` on a key). The HTTP layer asks
 * `consume` for every accepted request of a key that has a limit (keys without one never reach
 * it), and answers 429 `rate_limited` with `Retry-After` when it says no.
 *
 * Behind this small interface the counting is rate-limiter-flexible's: one limiter per distinct
 * limit, keyed by key id, with a one-second window. `createMemoryRateLimiter` counts in this
 * process (one server); a shared store is the same code with another factory, e.g.
 * `createKeyRateLimiter((o) => new RateLimiterRedis({ ...o, storeClient }))`, so every server
 * counts against the same budget.
 */
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

export interface RateDecision {
  allowed: boolean;
  /** when refused: how long until a request may succeed (ms, at least 1) */
  retryAfterMs: number;
}

export interface KeyRateLimiter {
  /** Counts one request of `keyId`, limited to `perSecond`; says whether it may proceed. */
  consume(keyId: string, perSecond: number): Promise<RateDecision>;
}

export interface LimiterOptions {
  points: number;
  duration: number;
  keyPrefix: string;
}

const ALLOWED: RateDecision = { allowed: true, retryAfterMs: 0 };

export function createKeyRateLimiter(make: (options: LimiterOptions) => RateLimiterAbstract): KeyRateLimiter {
  const limiters = new Map<number, RateLimiterAbstract>();
  function limiterFor(perSecond: number): RateLimiterAbstract {
    let limiter = limiters.get(perSecond);
    if (!limiter) {
      limiter = make({ points: perSecond, duration: 1, keyPrefix: `tessera-key-rate-${perSecond}` });
      limiters.set(perSecond, limiter);
    }
    return limiter;
  }
  return {
    async consume(keyId, perSecond) {
      try {
        await limiterFor(perSecond).consume(keyId);
        return ALLOWED;
      } catch (error) {
        if (!(error instanceof RateLimiterRes)) throw error;
        return { allowed: false, retryAfterMs: Math.max(1, error.msBeforeNext) };
      }
    },
  };
}

/** Limits counted in this process: right for one server. */
export function createMemoryRateLimiter(): KeyRateLimiter {
  return createKeyRateLimiter((options) => new RateLimiterMemory(options));
}
