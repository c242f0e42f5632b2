import { isStoreUnavailable } from './connect.js';

export interface UntilReachableOptions {
  /** how long to keep trying before giving up (the error is thrown then) */
  timeoutMs: number;
  /** told of each failed try, before the wait */
  onRetry?: (error: Error, waitMs: number) => void;
  /** first wait; it doubles up to `maxWaitMs` */
  firstWaitMs?: number;
  maxWaitMs?: number;
}

/**
 * Runs `work` (the first contact with the store) until the store answers: a database started
 * beside the server (a compose file, a reboot) is often a few seconds behind it. Only "not
 * reachable" errors are retried; any other failure (a wrong password, a broken migration) is
 * thrown at once, as no wait mends it.
 */
export async function untilStoreReachable<T>(
  work: () => Promise<T>,
  options: UntilReachableOptions,
): Promise<T> {
  const deadline = Date.now() + options.timeoutMs;
  let waitMs = options.firstWaitMs ?? 250;
  for (;;) {
    try {
      return await work();
    } catch (error) {
      if (!isStoreUnavailable(error) || Date.now() + waitMs > deadline) throw error;
      options.onRetry?.(error as Error, waitMs);
      await new Promise((resolve) => setTimeout(resolve, waitMs));
      waitMs = Math.min(waitMs * 2, options.maxWaitMs ?? 5_000);
    }
  }
}
