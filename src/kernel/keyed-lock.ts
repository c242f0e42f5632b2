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

export function createKeyedLock(): KeyedLock {
  // Per key, the turns waiting behind the running one, first come first served; a key is present
  // while work under it runs. The running work needs no promise of its own, so an uncontended
  // turn (the usual case: one session's requests rarely overlap) allocates almost nothing.
  const waiting = new Map<string, Array<() => void>>();
  return {
    async run<T>(key: string, work: () => Promise<T>): Promise<T> {
      let queue = waiting.get(key);
      if (queue) {
        const line = queue;
        await new Promise<void>((start) => line.push(start));
      } else {
        queue = [];
        waiting.set(key, queue);
      }
      try {
        return await work();
      } finally {
        // The next turn starts whether this one succeeded or failed; the last one leaves the key
        // free before its caller hears the result, so an idle lock holds nothing.
        const next = queue.shift();
        if (next) next();
        else waiting.delete(key);
      }
    },
    get size() {
      return waiting.size;
    },
  };
}
