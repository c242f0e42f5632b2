import type { Kysely } from 'kysely';
import type { ActorLike, AuditChange, AuditRecorder } from '../audit/audit-log.js';
import { NotFoundError } from '../kernel/errors.js';
import type { ChangeFeed, Publish } from '../store/changes.js';
import { chunks } from '../store/chunks.js';
import type { Database } from '../store/schema.js';
import type { ApiKey, KeyDetails, KeySecret } from './api-key.js';
import type { KeyKind } from './token.js';

/** A key found by one of its secrets, with that secret (stores that keep one secret per key omit it). */
export type KeyBySecret = ApiKey & { secret?: KeySecret };

/** A new secret for a key (rolling): the previous ones stay valid until `previousValidUntil`. */
export interface RolledSecret {
  secretHash: string;
  masked: string;
  /** JS keys: the new public token; null for secret kinds */
  publicToken: string | null;
  issuedAt: number;
  previousValidUntil: number;
}

/**
 * Persistence of API keys. Deleted keys stay as tombstones, and every secret ever issued for a key
 * stays in `api_key_secrets`, so each answers `key_deleted` or `key_expired` forever and none can
 * be issued again.
 */
export interface KeyStore {
  findBySecretHash(secretHash: string): Promise<KeyBySecret | undefined>;
  get(accountId: string, keyId: string): Promise<(KeyDetails & { secretHash: string }) | undefined>;
  /**
   * Inside `announced`: locks a live key's row until the transaction ends, so concurrent changes
   * of one key take turns and each starts from the other's result; answers the key as it is now,
   * or undefined when it does not exist or is deleted.
   */
  lockLive(accountId: string, keyId: string): Promise<(KeyDetails & { secretHash: string }) | undefined>;
  list(accountId: string): Promise<KeyDetails[]>;
  insert(key: ApiKey, secretHash: string): Promise<void>;
  update(key: ApiKey): Promise<void>;
  /** Deletes a key: its row and every secret stay as tombstones, so no secret is ever valid again. */
  deleteKey(accountId: string, keyId: string, deletedBy: string, at: number): Promise<boolean>;
  /** Issues the next secret of a key; answers it. */
  roll(key: ApiKey, next: RolledSecret): Promise<KeySecret>;
  /** Ends every previous secret still valid at `at`; answers how many were. */
  endGrace(keyId: string, at: number): Promise<number>;
  keysUsingDeployTarget(deployTargetId: string): Promise<ApiKey[]>;
  /** Writes an audit entry (inside `announced`: in the change's transaction). */
  audit(by: ActorLike | undefined, change: AuditChange, at?: number): Promise<void>;
  /**
   * Runs `work` in one transaction with a store bound to it; the changes it publishes are
   * announced with the commit (to every server sharing the database, atomically with it).
   */
  announced<T>(work: (store: KeyStore, publish: Publish) => Promise<T>): Promise<T>;
}

type KeyRow = Database['api_keys'];

function parseOrigins(text: string | null): string[] {
  if (text === null) return [];
  const list: unknown = JSON.parse(text);
  return Array.isArray(list) ? list.filter((o): o is string => typeof o === 'string') : [];
}

const storedOrigins = (origins: string[]): string | null =>
  origins.length === 0 ? null : JSON.stringify(origins);

function toApiKey(row: KeyRow, deployTargets: string[]): ApiKey {
  return {
    id: row.id,
    accountId: row.account_id,
    kind: row.kind as KeyKind,
    name: row.name,
    masked: row.masked,
    deployTargets,
    createdAt: row.created_at,
    createdBy: row.created_by,
    expiresAt: row.expires_at,
    deletedAt: row.deleted_at,
    publicToken: row.public_token,
    allowedOrigins: parseOrigins(row.allowed_origins),
    rateLimit: row.rate_limit_per_second === null ? null : { perSecond: row.rate_limit_per_second },
  };
}

type SecretRow = Database['api_key_secrets'];

const toSecret = (row: SecretRow): KeySecret => ({
  generation: row.generation,
  masked: row.masked,
  issuedAt: row.issued_at,
  validUntil: row.valid_until,
});

export function createKeyStore(db: Kysely<Database>, changes: ChangeFeed, audit: AuditRecorder): KeyStore {
  // Inside `announced` the store is already bound to a transaction.
  const inTransaction = <T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> =>
    db.isTransaction ? work(db) : db.transaction().execute(work);

  async function targetsOf(keyIds: string[]): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    // In runs: an account may hold more keys than a statement may bind parameters.
    for (const ids of chunks(keyIds)) {
      const rows = await db
        .selectFrom('api_key_deploy_targets')
        .select(['key_id', 'deploy_target_id'])
        .where('key_id', 'in', ids)
        .orderBy('deploy_target_id')
        .execute();
      for (const row of rows) {
        const list = map.get(row.key_id) ?? [];
        list.push(row.deploy_target_id);
        map.set(row.key_id, list);
      }
    }
    return map;
  }

  async function withTargets(rows: KeyRow[]): Promise<ApiKey[]> {
    const targets = await targetsOf(rows.map((r) => r.id));
    return rows.map((row) => toApiKey(row, targets.get(row.id) ?? []));
  }

  async function withSecrets(keys: ApiKey[]): Promise<KeyDetails[]> {
    const byKey = new Map<string, KeySecret[]>();
    for (const ids of chunks(keys.map((k) => k.id))) {
      const rows = await db
        .selectFrom('api_key_secrets')
        .selectAll()
        .where('key_id', 'in', ids)
        .orderBy('generation', 'desc')
        .execute();
      for (const row of rows) {
        const list = byKey.get(row.key_id) ?? [];
        list.push(toSecret(row));
        byKey.set(row.key_id, list);
      }
    }
    return keys.map((key) => ({ ...key, secrets: byKey.get(key.id) ?? [] }));
  }

  async function get(accountId: string, keyId: string) {
    const row = await db
      .selectFrom('api_keys')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('id', '=', keyId)
      .executeTakeFirst();
    if (!row) return undefined;
    const [key] = await withSecrets(await withTargets([row]));
    return { ...key, secretHash: row.secret_hash };
  }

  return {
    async findBySecretHash(secretHash) {
      const secret = await db
        .selectFrom('api_key_secrets')
        .selectAll()
        .where('secret_hash', '=', secretHash)
        .executeTakeFirst();
      if (!secret) return undefined;
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('id', '=', secret.key_id)
        .executeTakeFirst();
      return row ? { ...(await withTargets([row]))[0], secret: toSecret(secret) } : undefined;
    },
    get,
    async lockLive(accountId, keyId) {
      // A write is the one row lock both dialects have (SQLite has no SELECT … FOR UPDATE).
      const locked = await db
        .updateTable('api_keys')
        .set((eb) => ({ name: eb.ref('name') }))
        .where('account_id', '=', accountId)
        .where('id', '=', keyId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      return Number(locked.numUpdatedRows) === 0 ? undefined : get(accountId, keyId);
    },
    async list(accountId) {
      const rows = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('deleted_at', 'is', null)
        .orderBy('created_at')
        .orderBy('id')
        .execute();
      return withSecrets(await withTargets(rows));
    },
    async insert(key, secretHash) {
      await inTransaction(async (trx) => {
        await trx
          .insertInto('api_keys')
          .values({
            id: key.id,
            account_id: key.accountId,
            kind: key.kind,
            name: key.name,
            secret_hash: secretHash,
            masked: key.masked,
            public_token: key.publicToken,
            created_at: key.createdAt,
            created_by: key.createdBy,
            expires_at: key.expiresAt,
            deleted_at: null,
            deleted_by: null,
            allowed_origins: storedOrigins(key.allowedOrigins),
            rate_limit_per_second: key.rateLimit?.perSecond ?? null,
          })
          .execute();
        await trx
          .insertInto('api_key_secrets')
          .values({
            secret_hash: secretHash,
            key_id: key.id,
            generation: 1,
            masked: key.masked,
            issued_at: key.createdAt,
            valid_until: null,
          })
          .execute();
        if (key.deployTargets.length > 0) {
          await trx
            .insertInto('api_key_deploy_targets')
            .values(key.deployTargets.map((dt) => ({ key_id: key.id, deploy_target_id: dt })))
            .execute();
        }
      });
    },
    async update(key) {
      await inTransaction(async (trx) => {
        await trx
          .updateTable('api_keys')
          .set({
            name: key.name,
            expires_at: key.expiresAt,
            allowed_origins: storedOrigins(key.allowedOrigins),
            rate_limit_per_second: key.rateLimit?.perSecond ?? null,
          })
          .where('id', '=', key.id)
          .where('account_id', '=', key.accountId)
          .execute();
        await trx.deleteFrom('api_key_deploy_targets').where('key_id', '=', key.id).execute();
        if (key.deployTargets.length > 0) {
          await trx
            .insertInto('api_key_deploy_targets')
            .values(key.deployTargets.map((dt) => ({ key_id: key.id, deploy_target_id: dt })))
            .execute();
        }
      });
    },
    async deleteKey(accountId, keyId, deletedBy, at) {
      // The secret hash stays (a tombstone), so the deleted secret is recognised and refused forever.
      const result = await db
        .updateTable('api_keys')
        .set({ deleted_at: at, deleted_by: deletedBy, public_token: null })
        .where('account_id', '=', accountId)
        .where('id', '=', keyId)
        .where('deleted_at', 'is', null)
        .executeTakeFirst();
      if (Number(result.numUpdatedRows) === 0) return false;
      await db.deleteFrom('api_key_deploy_targets').where('key_id', '=', keyId).execute();
      return true;
    },
    async roll(key, next) {
      return inTransaction(async (trx) => {
        // The key's row first: it locks the key (two rolls at once take turns) and refuses a key
        // deleted meanwhile.
        const updated = await trx
          .updateTable('api_keys')
          .set({ secret_hash: next.secretHash, masked: next.masked, public_token: next.publicToken })
          .where('id', '=', key.id)
          .where('account_id', '=', key.accountId)
          .where('deleted_at', 'is', null)
          .executeTakeFirst();
        if (Number(updated.numUpdatedRows) === 0) {
          throw new NotFoundError('api_key_not_found', `No API key ${key.id}`);
        }
        const current = await trx
          .selectFrom('api_key_secrets')
          .select((eb) => eb.fn.max('generation').as('generation'))
          .where('key_id', '=', key.id)
          .executeTakeFirstOrThrow();
        const generation = Number(current.generation ?? 0) + 1;
        // Every earlier secret ends with this grace period at the latest (an earlier roll's grace
        // that ends sooner keeps its own end).
        await trx
          .updateTable('api_key_secrets')
          .set({ valid_until: next.previousValidUntil })
          .where('key_id', '=', key.id)
          .where((eb) =>
            eb.or([eb('valid_until', 'is', null), eb('valid_until', '>', next.previousValidUntil)]),
          )
          .execute();
        await trx
          .insertInto('api_key_secrets')
          .values({
            secret_hash: next.secretHash,
            key_id: key.id,
            generation,
            masked: next.masked,
            issued_at: next.issuedAt,
            valid_until: null,
          })
          .execute();
        return { generation, masked: next.masked, issuedAt: next.issuedAt, validUntil: null };
      });
    },
    async endGrace(keyId, at) {
      const result = await db
        .updateTable('api_key_secrets')
        .set({ valid_until: at })
        .where('key_id', '=', keyId)
        .where('valid_until', '>', at)
        .executeTakeFirst();
      return Number(result.numUpdatedRows);
    },
    audit(by, change, at) {
      return audit.record(db, by, change, at);
    },
    announced(work) {
      return changes.transaction(db, (trx, publish) => work(createKeyStore(trx, changes, audit), publish));
    },
    async keysUsingDeployTarget(deployTargetId) {
      const rows = await db
        .selectFrom('api_keys')
        .innerJoin('api_key_deploy_targets', 'api_key_deploy_targets.key_id', 'api_keys.id')
        .selectAll('api_keys')
        .where('api_key_deploy_targets.deploy_target_id', '=', deployTargetId)
        .where('api_keys.deleted_at', 'is', null)
        .execute();
      return withTargets(rows);
    },
  };
}
