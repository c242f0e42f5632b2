/**
 * Limits failed sign-ins per email and per client address, so a password cannot be guessed by
 * brute force. Counted by rate-limiter-flexible: in this process by default (each server counts
 * alone), or in a store every server shares (Redis, see src/store/redis-limits.ts) when given
 * another limiter factory, so guesses spread over several servers count together.
 */
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

const WINDOW_SECONDS = 15 * 60;

export interface LoginThrottle {
  /** seconds to wait before trying again, or 0 when a try is allowed */
  retryAfter(email: string, address: string): Promise<number>;
  failed(email: string, address: string): Promise<void>;
  succeeded(email: string): Promise<void>;
}

export interface ThrottleLimiterOptions {
  points: number;
  duration: number;
  keyPrefix: string;
}

export interface LoginThrottleOptions {
  perEmail?: number;
  perAddress?: number;
  /** makes each counter (default: in memory) */
  make?: (options: ThrottleLimiterOptions) => RateLimiterAbstract;
}

export function createLoginThrottle(options: LoginThrottleOptions = {}): LoginThrottle {
  const make = options.make ?? ((o: ThrottleLimiterOptions) => new RateLimiterMemory(o));
  const byEmail = make({
    points: options.perEmail ?? 10,
    duration: WINDOW_SECONDS,
    keyPrefix: 'login-email',
  });
  const byAddress = make({
    points: options.perAddress ?? 50,
    duration: WINDOW_SECONDS,
    keyPrefix: 'login-ip',
  });

  async function wait(limiter: RateLimiterAbstract, key: string): Promise<number> {
    const res = await limiter.get(key);
    if (!res || res.remainingPoints > 0) return 0;
    return Math.ceil(res.msBeforeNext / 1000);
  }

  async function consume(limiter: RateLimiterAbstract, key: string): Promise<void> {
    try {
      await limiter.consume(key);
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
    }
  }

  return {
    async retryAfter(email, address) {
      return Math.max(await wait(byEmail, email), await wait(byAddress, address));
    },
    async failed(email, address) {
      await consume(byEmail, email);
      await consume(byAddress, address);
    },
    async succeeded(email) {
      await byEmail.delete(email);
    },
  };
}
