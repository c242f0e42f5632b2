/**
 * Verifies presented tokens. Every request with a key passes through here, so the common case
 * (a known key) is answered from memory without a promise or a store round trip:
 *   1. shape and checksum (a malformed or mistyped token never reaches the store),
 *   2. SHA-256, looked up in a bounded LRU of secrets (deleted keys stay in it as tombstones),
 *   3. a bounded negative cache, so a flood of well-formed unknown tokens costs one lookup each,
 *   4. only then the store.
 * Each entry is one secret of a key (a rolled key has several, each with its own end). Changes
 * published on the change feed evict at once every secret of the key they name, so a key deleted,
 * edited or rolled on this server (or, with the PostgreSQL feed, on any server) is judged anew on
 * the very next request. While the feed is not live, nothing is answered from memory.
 */
import { LRUCache } from 'lru-cache';
import type { ChangeFeed } from '../store/changes.js';
import { type ApiKey, firstSecret, type KeySecret } from './api-key.js';
import type { KeyStore } from './key-store.js';
import { hashToken, parseToken } from './token.js';

export type KeyRefusal = 'key_malformed' | 'key_unknown' | 'key_deleted' | 'key_expired';
export type Verification =
  | { ok: true; key: ApiKey; secretHash: string; secret: KeySecret }
  | { ok: false; code: KeyRefusal };

/** Which key and secret a token is, when this server knows it. */
export interface Recognised {
  keyId: string;
  generation: number;
}

export interface KeyVerifier {
  /** Synchronous when the answer is in memory; a promise only when the store must be asked. */
  verify(token: string, now?: number): Verification | Promise<Verification>;
  /**
   * The verification from memory, or undefined where `verify` would ask the store (a token not
   * met yet, or a change feed that cannot prove it is live): starts no lookup.
   */
  peek(token: string, now?: number): Verification | undefined;
  /**
   * The key and secret of a token that was just verified (refused as deleted or expired, say),
   * from memory only: for counting refusals per key without another store read.
   */
  recognise(token: string): Recognised | undefined;
  stats(): { keys: number; unknown: number };
}

const MALFORMED: Verification = { ok: false, code: 'key_malformed' };
const UNKNOWN: Verification = { ok: false, code: 'key_unknown' };
const DELETED: Verification = { ok: false, code: 'key_deleted' };
const EXPIRED: Verification = { ok: false, code: 'key_expired' };

export interface KeyVerifierOptions {
  maxKeys?: number;
  maxUnknown?: number;
  /** the clock verifications are judged by when none is given (tests move it) */
  now?: () => number;
}

interface Entry {
  key: ApiKey;
  secret: KeySecret;
  /** the answer while the key and this secret are valid, made once */
  accepted: Verification;
}

export function createKeyVerifier(
  store: Pick<KeyStore, 'findBySecretHash'>,
  changes: ChangeFeed,
  options: KeyVerifierOptions = {},
): KeyVerifier {
  const clock = options.now ?? Date.now;
  // Which cached secrets belong to each key, so a change of the key evicts all of them.
  const hashesByKey = new Map<string, Set<string>>();
  const known = new LRUCache<string, Entry>({
    max: options.maxKeys ?? 100_000,
    dispose: (entry, secretHash) => {
      const hashes = hashesByKey.get(entry.key.id);
      hashes?.delete(secretHash);
      if (hashes?.size === 0) hashesByKey.delete(entry.key.id);
    },
  });
  const unknown = new LRUCache<string, true>({ max: options.maxUnknown ?? 10_000 });
  const inFlight = new Map<string, Promise<Entry | undefined>>();
  // The secret hash of each token recently verified as a known key: hashing is most of a
  // verification's cost, and a token's hash never changes, so this holds no judgement (every
  // answer still comes from the entry and its generation rules). Only known keys' tokens are
  // kept, so a flood of unknown ones cannot evict them; emptied whole when full (bounded).
  const hashOfToken = new Map<string, string>();
  const maxTokens = Math.min(options.maxKeys ?? 100_000, 10_000);
  // Bumped on every eviction: a store read that started before a change must not put its
  // (possibly stale) answer into the cache after the change evicted the entry.
  let generation = 0;

  function forget(secretHash: string): void {
    known.delete(secretHash);
    unknown.delete(secretHash);
    inFlight.delete(secretHash);
  }

  changes.subscribe((change) => {
    if (change.type === 'api-key') {
      generation++;
      forget(change.secretHash);
      for (const secretHash of [...(hashesByKey.get(change.keyId) ?? [])]) forget(secretHash);
      // A lookup in flight may be of a secret of this key not cached yet (a previous secret still
      // in its grace): which key it is is known only once it answers, so after any change no
      // request joins a lookup that started before it.
      inFlight.clear();
    } else if (change.type === 'resync') {
      generation++;
      known.clear();
      unknown.clear();
      inFlight.clear();
      hashesByKey.clear();
    }
  });

  function remember(secretHash: string, entry: Entry): void {
    known.set(secretHash, entry);
    let hashes = hashesByKey.get(entry.key.id);
    if (!hashes) {
      hashes = new Set();
      hashesByKey.set(entry.key.id, hashes);
    }
    hashes.add(secretHash);
  }

  function judge(entry: Entry, now: number): Verification {
    const { key, secret } = entry;
    if (key.deletedAt !== null) return DELETED;
    if (key.expiresAt !== null && key.expiresAt <= now) return EXPIRED;
    // A rolled key's previous secret, once its grace period is over.
    if (secret.validUntil !== null && secret.validUntil <= now) return EXPIRED;
    return entry.accepted;
  }

  function load(secretHash: string): Promise<Entry | undefined> {
    // While the feed may be missing changes, a lookup that started before a deletion must not
    // answer a request that arrived after it: every request reads for itself.
    const pending = changes.isLive() ? inFlight.get(secretHash) : undefined;
    if (pending) return pending;
    const startedAt = generation;
    const promise = store.findBySecretHash(secretHash).then(
      (found) => {
        if (inFlight.get(secretHash) === promise) inFlight.delete(secretHash);
        let entry: Entry | undefined;
        if (found) {
          const { secret, ...key } = found;
          const ofSecret = secret ?? firstSecret(key);
          entry = { key, secret: ofSecret, accepted: { ok: true, key, secretHash, secret: ofSecret } };
        }
        // Nor is anything kept while the feed may be missing changes (a lost LISTEN connection).
        if (generation === startedAt && changes.isLive()) {
          if (entry) remember(secretHash, entry);
          else unknown.set(secretHash, true);
        }
        return entry;
      },
      (error: unknown) => {
        if (inFlight.get(secretHash) === promise) inFlight.delete(secretHash);
        throw error;
      },
    );
    inFlight.set(secretHash, promise);
    return promise;
  }

  /** The verdict memory holds for the token, or the secret hash the store must be asked about. */
  function fromMemory(token: string, now: number): Verification | string {
    let secretHash = hashOfToken.get(token);
    if (secretHash === undefined) {
      if (parseToken(token) === null) return MALFORMED;
      secretHash = hashToken(token);
    }
    // A feed that cannot prove it is live may have missed a deletion: ask the store.
    if (!changes.isLive()) return secretHash;
    const cached = known.get(secretHash);
    if (cached) {
      if (!hashOfToken.has(token)) {
        if (hashOfToken.size >= maxTokens) hashOfToken.clear();
        hashOfToken.set(token, secretHash);
      }
      return judge(cached, now);
    }
    if (unknown.has(secretHash)) return UNKNOWN;
    return secretHash;
  }

  return {
    verify(token, now = clock()) {
      const found = fromMemory(token, now);
      if (typeof found !== 'string') return found;
      return load(found).then((entry) => (entry ? judge(entry, now) : UNKNOWN));
    },
    peek(token, now = clock()) {
      const found = fromMemory(token, now);
      return typeof found === 'string' ? undefined : found;
    },
    recognise(token) {
      if (parseToken(token) === null) return undefined;
      const entry = known.peek(hashToken(token));
      return entry ? { keyId: entry.key.id, generation: entry.secret.generation } : undefined;
    },
    stats() {
      return { keys: known.size, unknown: unknown.size };
    },
  };
}
