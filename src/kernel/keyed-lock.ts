/**
 * Turns by name within this process: work under a key starts once every earlier work under the
 * same key has settled (whether it succeeded or failed); work under other keys runs meanwhile.
 * Used for a session's requests, for key usage flushes against reads, and for SQLite's first start.
 */
export interface KeyedLock {
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** keys with work running or waiting */
  readonly size: number;
}

/** A promise and its resolve (Node 20 has no Promise.withResolvers). */
function deferred(): { promise: Promise<void>; resolve: () => void } {
  let resolve: () => void = noop;
  const promise = new Promise<void>((done) => {
    resolve = done;
  });
  return { promise, resolve };
}
function noop(): void {}

export function createKeyedLock(): KeyedLock {
  // The last turn queued per key; it never rejects, so a failed work does not block the next one.
  const tails = new Map<string, Promise<void>>();
  return {
    async run<T>(key: string, work: () => Promise<T>): Promise<T> {
      const previous = tails.get(key);
      const mine = deferred();
      const tail = previous ? previous.then(() => mine.promise) : mine.promise;
      tails.set(key, tail);
      try {
        if (previous) await previous;
        return await work();
      } finally {
        mine.resolve();
        // Gone before the caller hears the result, so an idle lock holds nothing.
        if (tails.get(key) === tail) tails.delete(key);
      }
    },
    get size() {
      return tails.size;
    },
  };
}
