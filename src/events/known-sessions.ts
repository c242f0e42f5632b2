/**
 * Which sessions a SQLite file may hold a visitor state or counted selection of: a set of Bloom
 * filters over (account, session). "No" is certain, so a new session's first request skips the
 * store's lookup (two statements, each a read transaction of its own): on new sessions (bench/,
 * in turns) 12% more requests/s. "Maybe" is read as before.
 *
 * Certain because it sees every row: the tables' sessions are read in once, in chunks between
 * requests, and every write of those tables afterwards goes through the event writer, which adds
 * its sessions before committing them. Until the read-in has finished, every session is "maybe".
 * That holds for a store one server writes: the same assumption the runtime's cache of states makes
 * (runtime/visitor-store.ts). PostgreSQL, which several servers share, is always read.
 *
 * The filters grow with the sessions, not a bound set in advance: each holds twice the sessions
 * of the one before at 1% false "maybe"s, about 1.2 MB per million sessions.
 */
import { BloomFilter } from 'bloomfilter';
import type { SqliteConnection } from '../store/connect.js';
import { type SessionRef, sessionKey } from './session-events.js';

export interface KnownSessions {
  /** False only when nothing of the session is stored: no state, no counted selection. */
  mayHold(ref: SessionRef): boolean;
  /** The same for a session's `sessionKey`, for a caller that has built it already. */
  mayHoldKey(key: string): boolean;
  /** A session about to be written (added before its commit, so a read never misses it). */
  add(ref: SessionRef): void;
  /** Reads the stored sessions in; resolves when every one is in (mayHold starts it too). */
  load(): Promise<void>;
  /** sessions: those added once each (one a filter already said "maybe" to is not added again) */
  stats(): { loaded: boolean; filters: number; sessions: number; bytes: number };
}

export interface KnownSessionsOptions {
  /** sessions the first filter holds (default 1,048,576); each next one holds twice as many */
  capacity?: number;
  /** rows read per turn of the event loop while loading (default 2,000) */
  chunk?: number;
  /** a failed read-in is tried again after this long (ms, default 10,000) */
  retryMs?: number;
  onError?: (error: unknown) => void;
}

const FALSE_MAYBE = 0.01;

export function createKnownSessions(
  sqlite: SqliteConnection,
  options: KnownSessionsOptions = {},
): KnownSessions {
  const firstCapacity = options.capacity ?? 1 << 20;
  const chunk = options.chunk ?? 2_000;
  const retryMs = options.retryMs ?? 10_000;
  const filters: BloomFilter[] = [];
  let capacity = 0;
  let held = 0;
  let sessions = 0;
  let loaded = false;
  let loading: Promise<void> | null = null;
  let retryAt = 0;

  function add(key: string): void {
    // Counted once: a session written again (a reward, traits) must not fill the filters faster.
    if (inFilters(key)) return;
    if (filters.length === 0 || held >= capacity) {
      capacity = filters.length === 0 ? firstCapacity : capacity * 2;
      filters.push(BloomFilter.withTargetError(capacity, FALSE_MAYBE));
      held = 0;
    }
    // The newest filter takes it; all of them are asked.
    filters[filters.length - 1].add(key);
    held++;
    sessions++;
  }

  function inFilters(key: string): boolean {
    for (let i = filters.length - 1; i >= 0; i--) if (filters[i].test(key)) return true;
    return false;
  }

  /** Both tables' sessions, a chunk per turn of the event loop (requests are answered between). */
  async function readIn(): Promise<void> {
    const visitorsFirst = sqlite
      .prepare<[number], string[]>(
        'select account_id, session from visitors order by account_id, session limit ?',
      )
      .raw(true);
    const visitorsNext = sqlite
      .prepare<[string, string, number], string[]>(
        'select account_id, session from visitors where (account_id, session) > (?, ?) order by account_id, session limit ?',
      )
      .raw(true);
    // A session's agents sit together in the key: the rows after the last one read go on from its agent.
    const selectionsFirst = sqlite
      .prepare<[number], string[]>(
        'select account_id, session, agent from selection_events order by account_id, session, agent limit ?',
      )
      .raw(true);
    const selectionsNext = sqlite
      .prepare<[string, string, string, number], string[]>(
        'select account_id, session, agent from selection_events where (account_id, session, agent) > (?, ?, ?) order by account_id, session, agent limit ?',
      )
      .raw(true);
    const tables = [
      {
        first: () => visitorsFirst.all(chunk),
        next: (last: string[]) => visitorsNext.all(last[0], last[1], chunk),
      },
      {
        first: () => selectionsFirst.all(chunk),
        next: (last: string[]) => selectionsNext.all(last[0], last[1], last[2], chunk),
      },
    ];
    for (const table of tables) {
      let rows = table.first();
      while (true) {
        for (const [accountId, session] of rows) add(sessionKey(accountId, session));
        if (rows.length < chunk) break;
        await new Promise((resolve) => setImmediate(resolve));
        rows = table.next(rows[rows.length - 1]);
      }
    }
    loaded = true;
  }

  function mayHoldKey(key: string): boolean {
    if (loaded) return inFilters(key);
    if (loading === null && Date.now() >= retryAt) void load();
    return true;
  }

  function load(): Promise<void> {
    loading ??= readIn().catch((error: unknown) => {
      loading = null;
      retryAt = Date.now() + retryMs;
      options.onError?.(error);
    });
    return loading;
  }

  return {
    mayHold(ref) {
      return mayHoldKey(sessionKey(ref.accountId, ref.session));
    },
    mayHoldKey,
    add(ref) {
      add(sessionKey(ref.accountId, ref.session));
    },
    load,
    stats() {
      const bits = filters.reduce((sum, filter) => sum + filter.m, 0);
      return { loaded, filters: filters.length, sessions, bytes: bits / 8 };
    },
  };
}
