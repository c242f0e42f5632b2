/**
 * Turns by name within this process: work under a key starts once every earlier work under the
 * same key has settled (whether it succeeded or failed); work under other keys runs meanwhile.
 * Used for a session's requests, for key usage flushes against reads, and for SQLite's first start.
 */
export interface KeyedLock {
  /**
   * Runs `work` in its turn. Under a free key it starts at once, before `run` returns: what the
   * caller saw just before still holds when it starts (the runtime relies on this).
   */
  run<T>(key: string, work: () => Promise<T>): Promise<T>;
  /** Whether work under `key` is running or waiting. */
  busy(key: string): boolean;
  /** keys with work running or waiting */
  readonly size: number;
}

export function createKeyedLock(): KeyedLock {
  // Per key, the turns waiting behind the running one, first come first served; a key is present
  // while work under it runs. The running work needs no promise of its own, and an uncontended
  // turn (the usual case: one session's requests rarely overlap) runs at once, without the
  // suspensions of an async function (bench/: a runtime request's hottest path).
  const waiting = new Map<string, Array<() => void>>();

  // The next turn starts whether this one succeeded or failed; the last one leaves the key free
  // before its caller hears the result, so an idle lock holds nothing.
  function release(key: string, queue: Array<() => void>): void {
    const next = queue.shift();
    if (next) next();
    else waiting.delete(key);
  }

  function hold<T>(key: string, queue: Array<() => void>, work: () => Promise<T>): Promise<T> {
    let running: Promise<T>;
    try {
      running = work();
    } catch (error) {
      release(key, queue);
      return Promise.reject(error);
    }
    return running.then(
      (value) => {
        release(key, queue);
        return value;
      },
      (error: unknown) => {
        release(key, queue);
        throw error;
      },
    );
  }

  return {
    run<T>(key: string, work: () => Promise<T>): Promise<T> {
      const queue = waiting.get(key);
      if (queue) return new Promise<void>((start) => queue.push(start)).then(() => hold(key, queue, work));
      const fresh: Array<() => void> = [];
      waiting.set(key, fresh);
      return hold(key, fresh, work);
    },
    busy(key) {
      return waiting.has(key);
    },
    get size() {
      return waiting.size;
    },
  };
}
