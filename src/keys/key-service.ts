/**
 * The key lifecycle: create (the secret is returned once), list, edit (name, deploy targets,
 * expiry, allowed origins; never kind, account or secret), and revoke (a tombstone; the secret is refused forever).
 * Every change is announced on the change feed from inside its transaction, so every server's
 * cache refuses a revoked key at once.
 */
import { assertDeployTargets, type DeployTargetService } from '../agents/deploy-targets.js';
import { InvalidInputError, NotFoundError } from '../errors.js';
import { newKeyId } from '../ids.js';
import { type ApiKey, targetKindFor } from './api-key.js';
import type { KeyStore } from './key-store.js';
import { MAX_ALLOWED_ORIGINS, parseOrigin } from './origins.js';
import { generateToken, hashToken, type KeyKind, maskToken } from './token.js';

export interface NewKey {
  kind: KeyKind;
  name: string;
  deployTargets?: string[];
  expiresAt?: number | null;
  /** JS keys only: web origins whose pages may send browser events (none = any) */
  allowedOrigins?: string[] | null;
}

export interface KeyPatch {
  name?: string;
  deployTargets?: string[];
  expiresAt?: number | null;
  /** JS keys only; `[]` or null allows every origin again */
  allowedOrigins?: string[] | null;
}

export interface KeyService {
  createKey(accountId: string, input: NewKey, createdBy: string): Promise<{ key: ApiKey; secret: string }>;
  listKeys(accountId: string): Promise<ApiKey[]>;
  getKey(accountId: string, keyId: string): Promise<ApiKey>;
  updateKey(accountId: string, keyId: string, patch: KeyPatch): Promise<ApiKey>;
  revokeKey(accountId: string, keyId: string, revokedBy: string): Promise<ApiKey>;
}

export function createKeyService(store: KeyStore, targets: DeployTargetService): KeyService {
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
    if (expiresAt <= now) throw new InvalidInputError('expiresAt', 'expiresAt must be in the future');
    return expiresAt;
  }

  async function getLive(accountId: string, keyId: string) {
    const key = await store.get(accountId, keyId);
    if (!key || key.deletedAt !== null) throw new NotFoundError('api_key_not_found', `No API key ${keyId}`);
    return key;
  }

  return {
    async createKey(accountId, input, createdBy) {
      const now = Date.now();
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
        createdBy,
        expiresAt: checkExpiry(input.expiresAt, now),
        deletedAt: null,
        publicToken: input.kind === 'js' ? secret : null,
        allowedOrigins: checkOrigins(input.kind, input.allowedOrigins),
      };
      const secretHash = hashToken(secret);
      await store.announced(async (trx, publish) => {
        await trx.insert(key, secretHash);
        // A node may have cached this hash as unknown (only if someone presented it before it
        // existed, which the randomness rules out); evicting it costs nothing and keeps the rule simple.
        publish({ type: 'api-key', accountId, keyId: key.id, secretHash });
      });
      return { key, secret };
    },
    listKeys(accountId) {
      return store.list(accountId);
    },
    async getKey(accountId, keyId) {
      const { secretHash: _, ...key } = await getLive(accountId, keyId);
      return key;
    },
    async updateKey(accountId, keyId, patch) {
      const { secretHash, ...current } = await getLive(accountId, keyId);
      const next: ApiKey = {
        ...current,
        name: patch.name ?? current.name,
        deployTargets:
          patch.deployTargets === undefined
            ? current.deployTargets
            : await checkTargets(accountId, current.kind, patch.deployTargets),
        expiresAt:
          patch.expiresAt === undefined ? current.expiresAt : checkExpiry(patch.expiresAt, Date.now()),
        allowedOrigins:
          patch.allowedOrigins === undefined
            ? current.allowedOrigins
            : checkOrigins(current.kind, patch.allowedOrigins),
      };
      await store.announced(async (trx, publish) => {
        await trx.update(next);
        publish({ type: 'api-key', accountId, keyId, secretHash });
      });
      return next;
    },
    async revokeKey(accountId, keyId, revokedBy) {
      const { secretHash, ...key } = await getLive(accountId, keyId);
      const at = Date.now();
      // The tombstone and its announcement commit together: every server hears of it at once.
      await store.announced(async (trx, publish) => {
        await trx.markDeleted(accountId, keyId, revokedBy, at);
        publish({ type: 'api-key', accountId, keyId, secretHash });
      });
      return { ...key, deletedAt: at, publicToken: null };
    },
  };
}
