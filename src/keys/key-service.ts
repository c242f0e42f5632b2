/**
 * The key lifecycle: create (the secret is returned once), list, edit (name, deploy targets,
 * expiry, rate limit, allowed origins; never kind, account or secret), roll (a new secret for the
 * same key, the previous ones valid for a grace period), end a grace period early, and delete (a
 * tombstone: every secret the key ever had is refused forever).
 *
 * Over 400 lines on purpose: every rule about a key's lifecycle reads in this one file, and each
 * operation is short; split, a reader would chase one key's rules across several.
 *
 * Every change is audited and announced on the change feed from inside its transaction, so the
 * entry commits with the change and every server's cache judges the key anew at once.
 *
 * Deleting a key used in the last 24 hours needs its name as confirmation (`guard`): the key
 * documentation's "make sure it's not in use", enforced where Tessera can see the use.
 */

import { type ActorLike, toActor } from '../audit/audit-log.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../kernel/errors.js';
import { newKeyId } from '../kernel/ids.js';
import { assertDeployTargets, type DeployTargetService } from '../targets/deploy-targets.js';
import { type ApiKey, type KeyDetails, type RateLimit, secretsInGrace, targetKindFor } from './api-key.js';
import type { KeyStore } from './key-store.js';
import type { KeyUsageRecorder } from './key-usage.js';
import { MAX_ALLOWED_ORIGINS, parseOrigin } from './origins.js';
import { generateToken, hashToken, type KeyKind, maskToken } from './token.js';

export interface NewKey {
  kind: KeyKind;
  name: string;
  deployTargets?: string[];
  expiresAt?: number | null;
  /** JS keys only: web origins whose pages may send browser events (none = any) */
  allowedOrigins?: string[] | null;
  /** null or absent: no limit */
  rateLimit?: RateLimit | null;
}

export interface KeyPatch {
  /** a key's kind never changes: present, it must be the key's own */
  kind?: KeyKind;
  name?: string;
  deployTargets?: string[];
  expiresAt?: number | null;
  /** JS keys only; `[]` or null allows every origin again */
  allowedOrigins?: string[] | null;
  /** null removes the limit */
  rateLimit?: RateLimit | null;
}

/** What a person deleting a key confirmed: the key's name, typed (needed when it was used lately). */
export interface DeleteGuard {
  confirmName: string | undefined;
}

export interface KeyListFilter {
  /** only keys with an expiry at most this far ahead (ms), those already expired included */
  expiringWithin?: number;
}

export interface KeyService {
  createKey(accountId: string, input: NewKey, by: ActorLike): Promise<{ key: KeyDetails; secret: string }>;
  listKeys(accountId: string, filter?: KeyListFilter): Promise<KeyDetails[]>;
  getKey(accountId: string, keyId: string): Promise<KeyDetails>;
  updateKey(accountId: string, keyId: string, patch: KeyPatch, by?: ActorLike): Promise<KeyDetails>;
  /**
   * Issues a new secret for the key (same record: name, kind, targets); the previous secrets keep
   * working for `graceSeconds` (0: they stop at once), then answer `key_expired`.
   */
  rollKey(
    accountId: string,
    keyId: string,
    graceSeconds: number,
    by?: ActorLike,
  ): Promise<{ key: KeyDetails; secret: string }>;
  /** Ends the grace period of a rolled key's previous secrets now. */
  endGrace(accountId: string, keyId: string, by?: ActorLike): Promise<KeyDetails>;
  /**
   * Deletes the key. With a `guard` (a person's request), a key used in the last 24 hours is
   * deleted only if the guard names it; without one (the CLI, start-up tasks) it is not checked.
   */
  deleteKey(accountId: string, keyId: string, by: ActorLike, guard?: DeleteGuard): Promise<KeyDetails>;
}

export interface KeyServiceOptions {
  /** usage, for the delete confirmation of a key in use */
  usage?: Pick<KeyUsageRecorder, 'usageOf'>;
  now?: () => number;
}

/** A key used this recently needs its name typed to be deleted. */
export const RECENT_USE_MS = 24 * 60 * 60 * 1000;
export const MAX_GRACE_SECONDS = 30 * 24 * 60 * 60;
export const MAX_RATE_PER_SECOND = 1_000_000;

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

/** A key as the audit log shows it: what a person may read, never a secret or the public token. */
function audited(key: ApiKey) {
  return {
    name: key.name,
    kind: key.kind,
    masked: key.masked,
    deployTargets: key.deployTargets,
    expiresAt: iso(key.expiresAt),
    rateLimit: key.rateLimit ?? null,
    ...(key.kind === 'js' ? { allowedOrigins: key.allowedOrigins } : {}),
  };
}

export function createKeyService(
  store: KeyStore,
  targets: DeployTargetService,
  options: KeyServiceOptions = {},
): KeyService {
  const clock = options.now ?? Date.now;

  async function checkTargets(accountId: string, kind: KeyKind, ids: string[]): Promise<string[]> {
    const unique = [...new Set(ids)].sort();
    if (unique.length === 0) return unique;
    const targetKind = targetKindFor(kind);
    if (targetKind === null) {
      throw new InvalidInputError('deployTargets', 'Admin keys are not associated with deploy targets');
    }
    await assertDeployTargets(targets, accountId, unique, targetKind);
    return unique;
  }

  function checkOrigins(kind: KeyKind, origins: string[] | null | undefined): string[] {
    if (origins === undefined || origins === null || origins.length === 0) return [];
    if (kind !== 'js') {
      throw new InvalidInputError('allowedOrigins', 'Only JavaScript / On-Device keys have allowed origins');
    }
    if (origins.length > MAX_ALLOWED_ORIGINS) {
      throw new InvalidInputError('allowedOrigins', `at most ${MAX_ALLOWED_ORIGINS} origins`);
    }
    const out: string[] = [];
    origins.forEach((input, i) => {
      const parsed = parseOrigin(input);
      if ('problem' in parsed) throw new InvalidInputError(`allowedOrigins.${i}`, parsed.problem);
      if (!out.includes(parsed.origin)) out.push(parsed.origin);
    });
    return out;
  }

  function checkExpiry(expiresAt: number | null | undefined, now: number): number | null {
    if (expiresAt === undefined || expiresAt === null) return null;
    if (!Number.isFinite(expiresAt))
      throw new InvalidInputError('expiresAt', 'expiresAt must be a date and time');
    if (expiresAt <= now) throw new InvalidInputError('expiresAt', 'expiresAt must be in the future');
    return expiresAt;
  }

  function checkRateLimit(limit: RateLimit | null | undefined): RateLimit | null {
    if (limit === undefined || limit === null) return null;
    const { perSecond } = limit;
    if (!Number.isInteger(perSecond) || perSecond < 1 || perSecond > MAX_RATE_PER_SECOND) {
      throw new InvalidInputError(
        'rateLimit.perSecond',
        `a whole number of requests per second from 1 to ${MAX_RATE_PER_SECOND}`,
      );
    }
    return { perSecond };
  }

  async function getLive(accountId: string, keyId: string) {
    const key = await store.get(accountId, keyId);
    if (!key || key.deletedAt !== null) throw new NotFoundError('api_key_not_found', `No API key ${keyId}`);
    return key;
  }

  async function details(accountId: string, keyId: string): Promise<KeyDetails> {
    const { secretHash: _, ...key } = await getLive(accountId, keyId);
    return key;
  }

  async function checkNotInUse(key: KeyDetails, guard: DeleteGuard, now: number): Promise<void> {
    const { confirmName } = guard;
    if (confirmName !== undefined && confirmName !== key.name) {
      throw new InvalidInputError('confirm', `the name typed does not match the key's name "${key.name}"`);
    }
    if (confirmName !== undefined || !options.usage) return;
    const lastUse = (await options.usage.usageOf([key.id], now)).get(key.id)?.lastUse;
    if (lastUse && now - lastUse.at < RECENT_USE_MS) {
      throw new ConflictError(
        'confirmation_required',
        `API key "${key.name}" was used in the last 24 hours (last at ${iso(lastUse.at)}${lastUse.deployTargetId ? ` on ${lastUse.deployTargetId}` : ''}); requests using it will get 403 at once. Deleting it needs its name as confirmation`,
      );
    }
  }

  return {
    async createKey(accountId, input, by) {
      const now = clock();
      const deployTargets = await checkTargets(accountId, input.kind, input.deployTargets ?? []);
      const secret = generateToken(input.kind);
      const key: ApiKey = {
        id: newKeyId(),
        accountId,
        kind: input.kind,
        name: input.name,
        masked: maskToken(secret),
        deployTargets,
        createdAt: now,
        createdBy: toActor(by).name,
        expiresAt: checkExpiry(input.expiresAt, now),
        deletedAt: null,
        publicToken: input.kind === 'js' ? secret : null,
        allowedOrigins: checkOrigins(input.kind, input.allowedOrigins),
        rateLimit: checkRateLimit(input.rateLimit),
      };
      const secretHash = hashToken(secret);
      await store.announced(async (trx, publish) => {
        await trx.insert(key, secretHash);
        await trx.audit(
          by,
          {
            accountId,
            action: 'api-key.create',
            targetType: 'api-key',
            targetId: key.id,
            before: null,
            after: audited(key),
          },
          now,
        );
        // A node may have cached this hash as unknown (only if someone presented it before it
        // existed, which the randomness rules out); evicting it costs nothing and keeps the rule simple.
        publish({ type: 'api-key', accountId, keyId: key.id, secretHash });
      });
      const secrets = [{ generation: 1, masked: key.masked, issuedAt: now, validUntil: null }];
      return { key: { ...key, secrets }, secret };
    },

    async listKeys(accountId, filter = {}) {
      const keys = await store.list(accountId);
      const { expiringWithin } = filter;
      if (expiringWithin === undefined) return keys;
      const horizon = clock() + expiringWithin;
      return keys.filter((k) => k.expiresAt !== null && k.expiresAt <= horizon);
    },

    getKey: details,

    async updateKey(accountId, keyId, patch, by) {
      const now = clock();
      // The patch is checked first, against the key's kind (which never changes); the key itself
      // is read again under its row lock, so two edits at once both hold (neither writes back
      // fields it read before the other committed).
      const { kind } = await getLive(accountId, keyId);
      if (patch.kind !== undefined && patch.kind !== kind) {
        throw new InvalidInputError(
          'kind',
          `a key's kind never changes (this one is ${kind}): create a ${patch.kind} key instead`,
        );
      }
      const checked = {
        name: patch.name,
        deployTargets:
          patch.deployTargets === undefined
            ? undefined
            : await checkTargets(accountId, kind, patch.deployTargets),
        expiresAt: patch.expiresAt === undefined ? undefined : checkExpiry(patch.expiresAt, now),
        allowedOrigins:
          patch.allowedOrigins === undefined ? undefined : checkOrigins(kind, patch.allowedOrigins),
        rateLimit: patch.rateLimit === undefined ? undefined : checkRateLimit(patch.rateLimit),
      };
      return store.announced(async (trx, publish) => {
        const locked = await trx.lockLive(accountId, keyId);
        if (!locked) throw new NotFoundError('api_key_not_found', `No API key ${keyId}`);
        const { secretHash, ...current } = locked;
        // Expiry is an end, like deletion: whoever set it meant the key to stop, and nobody can
        // know who has held its secret since. A new expiry would revive it: refused.
        if (checked.expiresAt !== undefined && current.expiresAt !== null && current.expiresAt <= now) {
          throw new ConflictError(
            'key_expired',
            `This key expired at ${iso(current.expiresAt)} and stays expired: create a new key instead`,
          );
        }
        const next: KeyDetails = {
          ...current,
          name: checked.name ?? current.name,
          deployTargets: checked.deployTargets ?? current.deployTargets,
          expiresAt: checked.expiresAt === undefined ? current.expiresAt : checked.expiresAt,
          allowedOrigins: checked.allowedOrigins ?? current.allowedOrigins,
          rateLimit: checked.rateLimit === undefined ? (current.rateLimit ?? null) : checked.rateLimit,
        };
        await trx.update(next);
        await trx.audit(
          by,
          {
            accountId,
            action: 'api-key.update',
            targetType: 'api-key',
            targetId: keyId,
            before: audited(current),
            after: audited(next),
          },
          now,
        );
        publish({ type: 'api-key', accountId, keyId, secretHash });
        return next;
      });
    },

    async rollKey(accountId, keyId, graceSeconds, by) {
      if (!Number.isInteger(graceSeconds) || graceSeconds < 0 || graceSeconds > MAX_GRACE_SECONDS) {
        throw new InvalidInputError(
          'graceSeconds',
          `a whole number of seconds from 0 (the previous secret stops at once) to ${MAX_GRACE_SECONDS} (30 days)`,
        );
      }
      const now = clock();
      const graceEndsAt = now + graceSeconds * 1000;
      // Under the key's row lock from the first statement: rolls at once take turns, and each
      // describes (answer and audit entry) the secret it replaced and the one it made.
      return store.announced(async (trx, publish) => {
        const locked = await trx.lockLive(accountId, keyId);
        if (!locked) throw new NotFoundError('api_key_not_found', `No API key ${keyId}`);
        const { secretHash: _, ...current } = locked;
        const { kind } = current;
        const secret = generateToken(kind);
        const secretHash = hashToken(secret);
        const issued = await trx.roll(current, {
          secretHash,
          masked: maskToken(secret),
          publicToken: kind === 'js' ? secret : null,
          issuedAt: now,
          previousValidUntil: graceEndsAt,
        });
        await trx.audit(
          by,
          {
            accountId,
            action: 'api-key.roll',
            targetType: 'api-key',
            targetId: keyId,
            before: { masked: current.masked, generation: issued.generation - 1 },
            after: {
              masked: issued.masked,
              generation: issued.generation,
              previousValidUntil: iso(graceEndsAt),
            },
          },
          now,
        );
        // Evicts every cached secret of the key (by its id) and the new hash.
        publish({ type: 'api-key', accountId, keyId, secretHash });
        const { secretHash: __, ...rolled } = (await trx.get(accountId, keyId)) as KeyDetails & {
          secretHash: string;
        };
        return { key: rolled, secret };
      });
    },

    async endGrace(accountId, keyId, by) {
      const now = clock();
      // Under the key's row lock, as a roll: the secrets in grace are read as they are now.
      const key = await store.announced(async (trx, publish) => {
        const locked = await trx.lockLive(accountId, keyId);
        if (!locked) throw new NotFoundError('api_key_not_found', `No API key ${keyId}`);
        const { secretHash, ...current } = locked;
        const inGrace = secretsInGrace(current.secrets, now);
        const ended = await trx.endGrace(keyId, now);
        if (ended === 0) {
          throw new ConflictError(
            'no_grace_period',
            `No previous secret of API key ${keyId} is still valid: there is no grace period to end`,
          );
        }
        await trx.audit(
          by,
          {
            accountId,
            action: 'api-key.roll-end',
            targetType: 'api-key',
            targetId: keyId,
            before: {
              secretsInGrace: inGrace.map((s) => ({
                ...s,
                issuedAt: iso(s.issuedAt),
                validUntil: iso(s.validUntil),
              })),
            },
            after: { secretsInGrace: [] },
          },
          now,
        );
        publish({ type: 'api-key', accountId, keyId, secretHash });
        const { secretHash: _, ...after } = (await trx.get(accountId, keyId)) as KeyDetails & {
          secretHash: string;
        };
        return after;
      });
      return key;
    },

    async deleteKey(accountId, keyId, by, guard) {
      const now = clock();
      const { secretHash, ...key } = await getLive(accountId, keyId);
      if (guard) await checkNotInUse(key, guard, now);
      // The tombstone, its audit entry and its announcement commit together.
      await store.announced(async (trx, publish) => {
        const deleted = await trx.deleteKey(accountId, keyId, toActor(by).name, now);
        if (!deleted) throw new NotFoundError('api_key_not_found', `No API key ${keyId}`);
        await trx.audit(
          by,
          {
            accountId,
            action: 'api-key.delete',
            targetType: 'api-key',
            targetId: keyId,
            before: audited(key),
            after: null,
          },
          now,
        );
        publish({ type: 'api-key', accountId, keyId, secretHash });
      });
      return { ...key, deletedAt: now, publicToken: null };
    },
  };
}
