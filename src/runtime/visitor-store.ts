/**
 * Visitor state (the engine's `VisitorState`: selections, goals rewarded, traits) per account and
 * session, kept in the store behind a bounded LRU cache.
 *
 * Per account, not per deploy target: a session is a visitor, and a visitor who meets an agent
 * through two REST targets (or the script tag, whose events land in the same tables) keeps one
 * variation and is counted once. Reports still split by the target a session was counted on.
 *
 * The cache holds only committed states: the runtime puts a state here after its write
 * committed, so a failed commit leaves nothing behind. On one server, requests of one session are
 * serialized (`exclusive`), so a state is never computed from a stale one; the runtime answers a
 * request that records nothing without a turn only when no other request of it is running (`busy`).
 *
 * Several servers on one database (PostgreSQL) cannot keep states in memory: behind a load
 * balancer a session's next request may reach another server, which must see what the first one
 * recorded (a confirmed selection, a goal already rewarded). There the store is read on every
 * request (`cacheStates: false`, one indexed row). Allocation is deterministic, so servers agree
 * on variations anyway, and the event tables count every session once whoever recorded it.
 *
 * Two servers answering one session at the same instant each write a state, and the later write
 * stays: the other's selection (of another agent, or of the same agent under another `c`) is
 * missing from it. So a shared store's read also takes the session's counted selections and
 * rewards, and they win over the state (`withCountedEvents`): what was counted is what later
 * requests see as sticky and credit.
 *
 * A new session's first state is not stored when its counted selection gives it back exactly
 * (`derivable`: one agent, randomly allocated, nothing else held): the selection is then the
 * session's one durable row, and a read that finds no state but counted selections returns the
 * state they give. One row per new session instead of two (bench/: the least a new session
 * costs, measured).
 *
 * Likewise a reward that changes nothing but the goals the session has used up, each by a reward
 * it counts, does not store the state: every read adds the session's counted rewards to what it
 * finds (a stored state, or the one its counted selections give), as a shared store's read
 * always did. One row per reward instead of two (`givenBack`; bench/: 6 and 23% more rewards
 * per second in two runs of alternating turns). Any other change stores the whole state.
 */

import { dequal } from 'dequal';
import type { Kysely } from 'kysely';
import { LRUCache } from 'lru-cache';
import {
  deleteVisitorState,
  keptSessionKey,
  type SessionRef,
  type StoredSession,
  selectCountedEvents,
  selectVisitorStates,
  sessionKey,
} from '../events/session-events.js';
import { createKeyedLock } from '../kernel/keyed-lock.js';
import { chunks } from '../store/chunks.js';
import type { Database } from '../store/schema.js';
import { emptyVisitorState, type StoredSelection, type VisitorState } from './engine.js';

export interface VisitorStore {
  /** The session's committed state, or null when it has none: from memory when cached. */
  get(accountId: string, session: string): VisitorState | null | Promise<VisitorState | null>;
  /**
   * What `get` answers without waiting (from memory, a session certainly never stored, or a
   * SQLite file's read at once); undefined when only a read of the store can tell.
   */
  peek(accountId: string, session: string): VisitorState | null | undefined;
  /**
   * The form `remember` keeps a state in (`cachedForm` where states are cached): a request that
   * will remember its state takes it first, so `givenBack` compares cached forms.
   */
  kept(state: VisitorState): VisitorState;
  /** Records a committed state (or that a session has none) in the cache. */
  remember(accountId: string, session: string, state: VisitorState | null): void;
  forget(accountId: string, session: string): void;
  /**
   * Deletes the session's stored state and this server's cached copy: it starts as a new visitor.
   * Other servers cache no state when several share a store (PostgreSQL), so none keeps it.
   */
  erase(accountId: string, session: string): Promise<void>;
  /**
   * Runs `fn` when no other request of this session is running on this server; at once (before
   * it returns) when none is (kernel/keyed-lock.ts).
   */
  exclusive<T>(accountId: string, session: string, fn: () => Promise<T>): Promise<T>;
  /** Whether a request of this session is running or waiting on this server. */
  busy(accountId: string, session: string): boolean;
  stats(): { cached: number; locked: number };
}

/**
 * Sessions whose state a server keeps in memory unless told otherwise (TESSERA_SESSION_CACHE):
 * about 100 bytes each of heap with the usual states shared (`cachedForm`) and flat keys
 * (`keptSessionKey`), so about 25 MB (heap snapshots at 9,000 and 87,000 new sessions). A reward or
 * a later page view of a session still cached costs no read; one evicted reads the file (bench/:
 * rewards of sessions no longer cached answered about a fifth fewer per second).
 */
export const DEFAULT_SESSION_CACHE = 250_000;

export interface VisitorStoreOptions {
  /** sessions kept in memory (default DEFAULT_SESSION_CACHE) */
  maxCached?: number;
  /** false where other servers write the same sessions: every read goes to the store */
  cacheStates?: boolean;
  /**
   * A session read at once (a SQLite file: session-events' `storedSessionReader`); without it,
   * misses of one turn of the event loop are read together in one statement.
   */
  readNow?: (ref: SessionRef) => StoredSession | null;
  /**
   * False for a session certainly never stored (known-sessions.ts), given its `sessionKey` and
   * asked before the cache: a session this server stored or read has a row, so the filter
   * answers a new session without a miss in a cache of 100,000 or more (bench/).
   */
  mayHoldKey?: (key: string) => boolean;
}

/** Stored state for "no state yet", so a session known to be new costs no second lookup. */
const NONE = Symbol('none');

export function parseVisitorState(text: string): VisitorState | null {
  try {
    const parsed: unknown = JSON.parse(text);
    // The engine checks every field it reads, so only the outer shape matters here.
    return typeof parsed === 'object' && parsed !== null ? (parsed as VisitorState) : null;
  } catch {
    return null;
  }
}

export interface CountedSelection {
  agent: string;
  variation: string;
}
export interface CountedReward {
  agent: string;
  goal: string;
}

/**
 * The state as the event tables have it: each counted selection is the session's confirmed one
 * for its agent, each counted reward has used its goal up for its agent. A state written over by
 * another server's (or never written, for a session counted by the script tag's beacon) gets
 * back what it lost. Returns the state given when nothing differs.
 */
export function withCountedEvents(
  state: VisitorState | null,
  selections: readonly CountedSelection[],
  rewards: readonly CountedReward[],
): VisitorState | null {
  if (selections.length === 0 && rewards.length === 0) return state;
  const merged: VisitorState = {
    selections: { ...(state?.selections ?? {}) },
    rewarded: [...(Array.isArray(state?.rewarded) ? state.rewarded : [])],
    traits: Array.isArray(state?.traits) ? state.traits : [],
    // aiming: eligibility and exclusion placements ride along unchanged
    ...(state?.eligible ? { eligible: state.eligible } : {}),
    ...(state?.placed ? { placed: state.placed } : {}),
  };
  let changed = state === null;
  for (const { agent, variation } of selections) {
    if (agent === '__proto__') continue;
    const held = Object.hasOwn(merged.selections, agent) ? merged.selections[agent] : undefined;
    if (held?.c === variation && held.s === 'ok') continue;
    merged.selections[agent] = { c: variation, p: held?.c === variation ? held.p : 'r', s: 'ok' };
    changed = true;
  }
  for (const { agent, goal } of rewards) {
    const key = `${goal}|${agent}`;
    if (merged.rewarded.includes(key)) continue;
    merged.rewarded.push(key);
    changed = true;
  }
  return changed ? merged : state;
}

/**
 * Whether the selections counted with a new session's first state give that state back exactly,
 * as a read of a session with no stored state does (`withCountedEvents(null, …)`): then the
 * state need not be stored beside them. One selection only, so the order the read returns
 * several in (by time, then by the database's collation of agent codes) never matters; a random
 * allocation only, since the read cannot know another policy; nothing else held.
 */
export function derivable(state: VisitorState, counted: readonly CountedSelection[]): boolean {
  if (counted.length !== 1 || state.rewarded.length > 0 || state.traits.length > 0) return false;
  if (state.eligible !== undefined || state.placed !== undefined) return false;
  const agents = Object.keys(state.selections);
  const [{ agent, variation }] = counted;
  if (agents.length !== 1 || agents[0] !== agent) return false;
  const held = state.selections[agent];
  return held.c === variation && held.p === 'r' && held.s === 'ok';
}

/**
 * Whether a read gives `after` back once `counted` is committed, so that it need not be stored:
 * - a session with nothing stored or counted (`before` null) whose first state its one counted
 *   selection gives (`derivable`);
 * - a session whose state changed only by the goals its counted rewards used up: a read adds
 *   them to what it finds (`stateOf`). `before` is the state as read (or cached), so a state the
 *   engine had to tidy (a stored one of another shape) differs from it and is stored.
 * A write that counts nothing (a QA session's) never gives a state back.
 */
export function givenBack(
  before: VisitorState | null,
  after: VisitorState,
  counted: { selections: readonly CountedSelection[]; rewards: readonly CountedReward[] },
): boolean {
  if (before === null) return counted.rewards.length === 0 && derivable(after, counted.selections);
  if (counted.selections.length > 0 || counted.rewards.length === 0) return false;
  if (sharedInstances.has(before) && sharedInstances.has(after))
    return sharedGivenBack(before, after, counted.rewards);
  // dequal, not node:util's isDeepStrictEqual: states are plain JSON, and that one's checks of
  // prototypes and symbols cost a reward about 8% of the request thread (bench/, CPU profile).
  return dequal(withCountedEvents(before, [], counted.rewards), after);
}

/**
 * The state a stored session reads as: its stored state, else the one its counted selections
 * give, with its counted rewards' goals used up (`givenBack`). A stored state that cannot be read
 * is an empty one, not none: the session has a row, which its next change must write over
 * (`derivable` states are skipped only for sessions with nothing stored).
 */
function stateOf(stored: StoredSession): VisitorState | null {
  return stored.state !== null
    ? withCountedEvents(parseVisitorState(stored.state) ?? emptyVisitorState(), [], stored.rewards)
    : withCountedEvents(null, stored.selections, stored.rewards);
}

/**
 * The state to cache for `state`: for the usual new session (one agent, randomly allocated and
 * confirmed, nothing else held) one instance per agent and variation, shared by every such
 * session, instead of an object graph of its own. Those graphs outlived the young generation in
 * the cache and were copied out of it: sharing holds 40 to 60 MB less resident memory over a
 * million sessions (bench:sessions), and a few percent more new sessions at most (in turns, within
 * the host's noise). Cached states are only read: the engine works on a copy (`cloneState`; its
 * tests run every request on a frozen state), and `withCountedEvents` builds a new one. The
 * instances are few (agents × variations); past MAX_SHARED they start over.
 *
 * The same session rewarded (up to MAX_SHARED_REWARDED goals used up) is shared too, one instance
 * per agent, variation and goals in their order: rewards of sessions selected just before
 * answered 8% more per second at 8 to 10% less CPU in two runs of alternating turns (bench/).
 */
const shared = new Map<string, VisitorState>();
/** Every shared instance made: each is the usual state its key names, and read only. */
const sharedInstances = new WeakSet<VisitorState>();
const MAX_SHARED = 10_000;
/** Goals used up of a shared state at most: a few, so the instances stay few. */
const MAX_SHARED_REWARDED = 4;

export function cachedForm(state: VisitorState): VisitorState {
  if (sharedInstances.has(state)) return state;
  // A stored state read back is checked by the engine field by field, not here: anything but
  // the exact usual shape is cached as it is.
  const { selections, rewarded, traits } = state;
  if (!Array.isArray(rewarded) || rewarded.length > MAX_SHARED_REWARDED) return state;
  if (!Array.isArray(traits) || traits.length > 0) return state;
  for (const goal of rewarded) if (typeof goal !== 'string' || goal.includes('\u0000')) return state;
  if (state.eligible !== undefined || state.placed !== undefined) return state;
  if (typeof selections !== 'object' || selections === null) return state;
  let agent: string | undefined;
  for (const code in selections) {
    if (agent !== undefined) return state;
    agent = code;
  }
  if (agent === undefined || agent === '__proto__' || !Object.hasOwn(selections, agent)) return state;
  const held: unknown = selections[agent];
  if (typeof held !== 'object' || held === null) return state;
  const { c, p, s } = held as Partial<StoredSelection>;
  if (typeof c !== 'string' || p !== 'r' || s !== 'ok') return state;
  const key =
    rewarded.length === 0 ? `${agent}\u0000${c}` : `${agent}\u0000${c}\u0000${rewarded.join('\u0000')}`;
  let instance = shared.get(key);
  if (instance === undefined) {
    if (shared.size >= MAX_SHARED) shared.clear();
    // Built as the engine builds a state, so the engine reads it at the speed of its own (frozen
    // objects took the repeated-session selection 7% slower: other shapes for the same code).
    instance = emptyVisitorState();
    instance.selections[agent] = { c, p: 'r', s: 'ok' };
    for (const goal of rewarded) instance.rewarded.push(goal);
    shared.set(key, instance);
    sharedInstances.add(instance);
  }
  return instance;
}

/**
 * `givenBack` for two shared instances, without building the state a read gives and walking both
 * (on a reward, about 1 µs of the request thread's 33: bench/, CPU profile). Each is one agent's
 * confirmed random selection and the goals it used up, nothing else, so they are equal when the
 * agent and variation are and `after` used up what `before` did followed by the counted rewards'
 * goals not among them yet, in their order, as `withCountedEvents` adds them.
 */
function sharedGivenBack(
  before: VisitorState,
  after: VisitorState,
  rewards: readonly CountedReward[],
): boolean {
  const was = before.rewarded;
  const now = after.rewarded;
  if (now.length < was.length) return false;
  let n = 0;
  for (; n < was.length; n++) if (now[n] !== was[n]) return false;
  for (const { agent, goal } of rewards) {
    const key = `${goal}|${agent}`;
    let used = false;
    for (let i = 0; i < n && !used; i++) used = now[i] === key;
    if (used) continue;
    if (now[n] !== key) return false;
    n++;
  }
  if (n !== now.length) return false;
  for (const agent in before.selections) {
    return Object.hasOwn(after.selections, agent) && after.selections[agent].c === before.selections[agent].c;
  }
  return false;
}

export function createVisitorStore(db: Kysely<Database>, options: VisitorStoreOptions = {}): VisitorStore {
  const cacheStates = options.cacheStates ?? true;
  const readNow = options.readNow;
  const mayHoldKey = options.mayHoldKey;
  const cache = new LRUCache<string, VisitorState | typeof NONE>({
    max: options.maxCached ?? DEFAULT_SESSION_CACHE,
  });
  const sessions = createKeyedLock();

  // Misses of the same moment are read together: one statement (one round trip, one read
  // transaction) per turn of the event loop, however many new sessions arrived in it.
  interface PendingRead {
    accountId: string;
    session: string;
    waiters: { resolve: (state: VisitorState | null) => void; reject: (error: unknown) => void }[];
  }
  let pending = new Map<string, PendingRead>();
  let scheduled = false;

  async function readPending(): Promise<void> {
    scheduled = false;
    const batch = pending;
    pending = new Map();
    const keys = [...batch.keys()];
    for (const chunk of chunks(keys)) {
      try {
        const reads = chunk.map((key) => batch.get(key) as PendingRead);
        const refs = reads.map(({ accountId, session }) => ({ accountId, session }));
        // Counted events are read beside the states, not after them: they only add to a state
        // (a shared store) or stand in for a missing one, so the reads need no order between them.
        const [rows, counted] = await Promise.all([selectVisitorStates(db, refs), readCountedEvents(refs)]);
        const found = new Map(rows.map((row) => [sessionKey(row.accountId, row.session), row.state]));
        for (const key of chunk) {
          const text = found.get(key);
          const events = counted.get(key);
          let state: VisitorState | null;
          if (!cacheStates && events) {
            const stored = text === undefined ? null : parseVisitorState(text);
            state = withCountedEvents(stored, events.selections, events.rewards);
          } else {
            // A store of its own: a stored state is the truth but for the rewards it need not
            // hold; without one, what was counted.
            state = stateOf({
              state: text ?? null,
              selections: events?.selections ?? [],
              rewards: events?.rewards ?? [],
            });
          }
          const read = batch.get(key) as PendingRead;
          if (cacheStates && !cache.has(key))
            cache.set(keptSessionKey(read.accountId, read.session), state ? cachedForm(state) : NONE);
          for (const waiter of read.waiters) waiter.resolve(state);
        }
      } catch (error) {
        for (const key of chunk)
          for (const waiter of (batch.get(key) as PendingRead).waiters) waiter.reject(error);
      }
    }
  }

  /** The counted selections and rewards of the sessions read, by session. */
  async function readCountedEvents(
    refs: SessionRef[],
  ): Promise<Map<string, { selections: CountedSelection[]; rewards: CountedReward[] }>> {
    const { selections, rewards } = await selectCountedEvents(db, refs);
    const bySession = new Map<string, { selections: CountedSelection[]; rewards: CountedReward[] }>();
    const entry = (accountId: string, session: string) => {
      const key = sessionKey(accountId, session);
      let found = bySession.get(key);
      if (!found) {
        found = { selections: [], rewards: [] };
        bySession.set(key, found);
      }
      return found;
    };
    for (const row of selections) entry(row.accountId, row.session).selections.push(row);
    for (const row of rewards) entry(row.accountId, row.session).rewards.push(row);
    return bySession;
  }

  function load(accountId: string, session: string, key: string): Promise<VisitorState | null> {
    return new Promise((resolve, reject) => {
      let read = pending.get(key);
      if (!read) {
        read = { accountId, session, waiters: [] };
        pending.set(key, read);
      }
      read.waiters.push({ resolve, reject });
      if (!scheduled) {
        scheduled = true;
        setImmediate(() => void readPending());
      }
    });
  }

  function peek(accountId: string, session: string, key: string): VisitorState | null | undefined {
    // Only where states are cached and read at once: then a cached state is always one this
    // server stored (its sessions are known before their commit) or read from the store.
    if (mayHoldKey && readNow && cacheStates && !mayHoldKey(key)) return null;
    const cached = cache.get(key);
    if (cached !== undefined) return cached === NONE ? null : cached;
    if (!readNow || !cacheStates) return undefined;
    // A failure throws here, as a rejected read would, for the caller's 503.
    const stored = readNow({ accountId, session });
    if (stored === null) {
      // Not cached here: the request that asked remembers what it ends with (`remember`),
      // which for a new session is its first state, one cache write instead of two.
      return null;
    }
    const state = stateOf(stored);
    cache.set(keptSessionKey(accountId, session), state ? cachedForm(state) : NONE);
    return state;
  }

  return {
    get(accountId, session) {
      const key = sessionKey(accountId, session);
      const now = peek(accountId, session, key);
      return now !== undefined ? now : load(accountId, session, key);
    },
    peek(accountId, session) {
      return peek(accountId, session, sessionKey(accountId, session));
    },
    kept(state) {
      return cacheStates ? cachedForm(state) : state;
    },
    remember(accountId, session, state) {
      if (cacheStates) cache.set(keptSessionKey(accountId, session), state ? cachedForm(state) : NONE);
    },
    forget(accountId, session) {
      cache.delete(sessionKey(accountId, session));
    },
    async erase(accountId, session) {
      await deleteVisitorState(db, { accountId, session });
      cache.delete(sessionKey(accountId, session));
    },
    exclusive(accountId, session, fn) {
      return sessions.run(sessionKey(accountId, session), fn);
    },
    busy(accountId, session) {
      return sessions.busy(sessionKey(accountId, session));
    },
    stats() {
      return { cached: cache.size, locked: sessions.size };
    },
  };
}
