/**
 * Limits failed sign-ins per email and per client address, so a password cannot be guessed by
 * brute force. Counted by rate-limiter-flexible: in this process by default (each server counts
 * alone), or in a store every server shares (Redis, see src/store/redis-limits.ts) when given
 * another limiter factory, so guesses spread over several servers count together.
 */
import { type RateLimiterAbstract, RateLimiterMemory, RateLimiterRes } from 'rate-limiter-flexible';

const WINDOW_SECONDS = 15 * 60;

export interface LoginThrottle {
  /**
   * Counts a try as failed before its password is checked, so tries sent all at once are
   * counted as they arrive, not after their (slow) checks. Answers the seconds to wait, or 0
   * when the try may go on.
   */
  attempt(email: string, address: string): Promise<number>;
  /** The try was right: the email's failures are forgotten and the address's try given back. */
  succeeded(email: string, address: string): Promise<void>;
  /** The try could not be checked (the store failed): it is not held against either. */
  giveBack(email: string, address: string): Promise<void>;
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

  /** Takes one try; the seconds to wait when the limit is reached, else 0. */
  async function take(limiter: RateLimiterAbstract, key: string): Promise<number> {
    try {
      await limiter.consume(key);
      return 0;
    } catch (error) {
      if (!(error instanceof RateLimiterRes)) throw error;
      return Math.max(1, Math.ceil(error.msBeforeNext / 1000));
    }
  }

  return {
    async attempt(email, address) {
      const [emailWait, addressWait] = await Promise.all([take(byEmail, email), take(byAddress, address)]);
      // A try one limit refuses is not made, so it does not count against the other: else an
      // address past its own limit could go on using up the tries of any email it names.
      if (emailWait > 0 && addressWait === 0) await byAddress.reward(address, 1);
      if (addressWait > 0 && emailWait === 0) await byEmail.reward(email, 1);
      return Math.max(emailWait, addressWait);
    },
    async succeeded(email, address) {
      await byEmail.delete(email);
      await byAddress.reward(address, 1);
    },
    async giveBack(email, address) {
      await Promise.all([byEmail.reward(email, 1), byAddress.reward(address, 1)]);
    },
  };
}
