import type { Kysely } from 'kysely';
import type { ChangeFeed, Publish } from '../store/changes.js';
import type { Database } from '../store/schema.js';
import type { ApiKey } from './api-key.js';
import type { KeyKind } from './token.js';

/** Persistence of API keys. Deleted keys stay as tombstones so they answer `key_deleted` forever. */
export interface KeyStore {
  findBySecretHash(secretHash: string): Promise<ApiKey | undefined>;
  get(accountId: string, keyId: string): Promise<(ApiKey & { secretHash: string }) | undefined>;
  list(accountId: string): Promise<ApiKey[]>;
  insert(key: ApiKey, secretHash: string): Promise<void>;
  update(key: ApiKey): Promise<void>;
  markDeleted(accountId: string, keyId: string, deletedBy: string, at: number): Promise<boolean>;
  keysUsingDeployTarget(deployTargetId: string): Promise<ApiKey[]>;
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
  };
}

export function createKeyStore(db: Kysely<Database>, changes: ChangeFeed): KeyStore {
  // Inside `announced` the store is already bound to a transaction.
  const inTransaction = <T>(work: (trx: Kysely<Database>) => Promise<T>): Promise<T> =>
    db.isTransaction ? work(db) : db.transaction().execute(work);

  async function targetsOf(keyIds: string[]): Promise<Map<string, string[]>> {
    const map = new Map<string, string[]>();
    if (keyIds.length === 0) return map;
    const rows = await db
      .selectFrom('api_key_deploy_targets')
      .select(['key_id', 'deploy_target_id'])
      .where('key_id', 'in', keyIds)
      .orderBy('deploy_target_id')
      .execute();
    for (const row of rows) {
      const list = map.get(row.key_id) ?? [];
      list.push(row.deploy_target_id);
      map.set(row.key_id, list);
    }
    return map;
  }

  async function withTargets(rows: KeyRow[]): Promise<ApiKey[]> {
    const targets = await targetsOf(rows.map((r) => r.id));
    return rows.map((row) => toApiKey(row, targets.get(row.id) ?? []));
  }

  return {
    async findBySecretHash(secretHash) {
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('secret_hash', '=', secretHash)
        .executeTakeFirst();
      return row ? (await withTargets([row]))[0] : undefined;
    },
    async get(accountId, keyId) {
      const row = await db
        .selectFrom('api_keys')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('id', '=', keyId)
        .executeTakeFirst();
      if (!row) return undefined;
      const [key] = await withTargets([row]);
      return { ...key, secretHash: row.secret_hash };
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
      return withTargets(rows);
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
    async markDeleted(accountId, keyId, deletedBy, at) {
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
    announced(work) {
      return changes.transaction(db, (trx, publish) => work(createKeyStore(trx, changes), publish));
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
