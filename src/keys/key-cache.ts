/**
 * Verifies presented tokens. Every request with a key passes through here, so the common case
 * (a known key) is answered from memory without a promise or a store round trip:
 *   1. shape and checksum (a malformed or mistyped token never reaches the store),
 *   2. SHA-256, looked up in a bounded LRU of keys (deleted keys stay in it as tombstones),
 *   3. a bounded negative cache, so a flood of well-formed unknown tokens costs one lookup each,
 *   4. only then the store.
 * Changes published on the change feed evict entries at once, so a key deleted or edited on this
 * server (or, with the PostgreSQL feed, on any server) is refused on the very next request.
 */
import { LRUCache } from 'lru-cache';
import type { ChangeFeed } from '../store/changes.js';
import type { ApiKey } from './api-key.js';
import type { KeyStore } from './key-store.js';
import { hashToken, parseToken } from './token.js';

export type KeyRefusal = 'key_malformed' | 'key_unknown' | 'key_deleted' | 'key_expired';
export type Verification = { ok: true; key: ApiKey; secretHash: string } | { ok: false; code: KeyRefusal };

export interface KeyVerifier {
  /** Synchronous when the answer is in memory; a promise only when the store must be asked. */
  verify(token: string, now?: number): Verification | Promise<Verification>;
  stats(): { keys: number; unknown: number };
}

const MALFORMED: Verification = { ok: false, code: 'key_malformed' };
const UNKNOWN: Verification = { ok: false, code: 'key_unknown' };
const DELETED: Verification = { ok: false, code: 'key_deleted' };
const EXPIRED: Verification = { ok: false, code: 'key_expired' };

export interface KeyCacheOptions {
  maxKeys?: number;
  maxUnknown?: number;
}

export function createKeyCache(
  store: KeyStore,
  changes: ChangeFeed,
  options: KeyCacheOptions = {},
): KeyVerifier {
  const known = new LRUCache<string, ApiKey>({ max: options.maxKeys ?? 100_000 });
  const unknown = new LRUCache<string, true>({ max: options.maxUnknown ?? 10_000 });
  const inFlight = new Map<string, Promise<ApiKey | undefined>>();
  // Bumped on every eviction: a store read that started before a change must not put its
  // (possibly stale) answer into the cache after the change evicted the entry.
  let generation = 0;

  changes.subscribe((change) => {
    if (change.type === 'api-key') {
      generation++;
      known.delete(change.secretHash);
      unknown.delete(change.secretHash);
      inFlight.delete(change.secretHash);
    } else if (change.type === 'resync') {
      generation++;
      known.clear();
      unknown.clear();
      inFlight.clear();
    }
  });

  function judge(key: ApiKey, secretHash: string, now: number): Verification {
    if (key.deletedAt !== null) return DELETED;
    if (key.expiresAt !== null && key.expiresAt <= now) return EXPIRED;
    return { ok: true, key, secretHash };
  }

  function load(secretHash: string): Promise<ApiKey | undefined> {
    const pending = inFlight.get(secretHash);
    if (pending) return pending;
    const startedAt = generation;
    const promise = store.findBySecretHash(secretHash).then(
      (key) => {
        if (inFlight.get(secretHash) === promise) inFlight.delete(secretHash);
        // Nor is anything kept while the feed may be missing changes (a lost LISTEN connection).
        if (generation === startedAt && changes.isLive()) {
          if (key) known.set(secretHash, key);
          else unknown.set(secretHash, true);
        }
        return key;
      },
      (error: unknown) => {
        if (inFlight.get(secretHash) === promise) inFlight.delete(secretHash);
        throw error;
      },
    );
    inFlight.set(secretHash, promise);
    return promise;
  }

  return {
    verify(token, now = Date.now()) {
      if (parseToken(token) === null) return MALFORMED;
      const secretHash = hashToken(token);
      const cached = known.get(secretHash);
      if (cached) return judge(cached, secretHash, now);
      if (unknown.has(secretHash)) return UNKNOWN;
      return load(secretHash).then((key) => (key ? judge(key, secretHash, now) : UNKNOWN));
    },
    stats() {
      return { keys: known.size, unknown: unknown.size };
    },
  };
}
