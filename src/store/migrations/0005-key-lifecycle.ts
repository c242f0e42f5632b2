import type { Kysely } from 'kysely';

/**
 * The key lifecycle (issue 6):
 * - `api_key_secrets`: every secret hash ever issued for a key, so a rolled key's old secret is
 *   recognised forever (valid until its grace ends, then `key_expired`; `key_deleted` once the key
 *   is deleted) and no key can ever be made with a hash already issued. Existing keys get their
 *   one secret as generation 1. `api_keys.secret_hash` stays the current secret's hash.
 * - `api_keys.rate_limit_per_second`: an optional per-key request limit.
 * - `api_key_usage`: requests per key, UTC hour, deploy target ('' for none), secret generation and
 *   outcome (`ok` or the refusal's code), written in batches; `api_key_last_use`: the last accepted
 *   request per key and secret generation. No foreign keys: a batch must never fail on a row.
 * - `audit_log`: who changed what, when and from where, with the state before and after (JSON,
 *   never a secret).
 */
interface Before {
  api_keys: { id: string; secret_hash: string; masked: string; created_at: number };
  api_key_secrets: {
    secret_hash: string;
    key_id: string;
    generation: number;
    masked: string;
    issued_at: number;
    valid_until: number | null;
  };
}

export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('api_key_secrets')
    .addColumn('secret_hash', 'text', (c) => c.primaryKey())
    .addColumn('key_id', 'text', (c) => c.notNull().references('api_keys.id').onDelete('cascade'))
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('masked', 'text', (c) => c.notNull())
    .addColumn('issued_at', 'bigint', (c) => c.notNull())
    .addColumn('valid_until', 'bigint')
    .addUniqueConstraint('api_key_secrets_generation', ['key_id', 'generation'])
    .execute();
  const typed = db as unknown as Kysely<Before>;
  await typed
    .insertInto('api_key_secrets')
    .columns(['secret_hash', 'key_id', 'generation', 'masked', 'issued_at'])
    .expression((eb) =>
      eb
        .selectFrom('api_keys')
        .select((s) => [
          s.ref('secret_hash').as('secret_hash'),
          s.ref('id').as('key_id'),
          s.lit(1).as('generation'),
          s.ref('masked').as('masked'),
          s.ref('created_at').as('issued_at'),
        ]),
    )
    .execute();

  await db.schema.alterTable('api_keys').addColumn('rate_limit_per_second', 'integer').execute();

  await db.schema
    .createTable('api_key_usage')
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('hour', 'bigint', (c) => c.notNull())
    .addColumn('deploy_target_id', 'text', (c) => c.notNull())
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('outcome', 'text', (c) => c.notNull())
    .addColumn('requests', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('api_key_usage_pk', [
      'key_id',
      'hour',
      'deploy_target_id',
      'generation',
      'outcome',
    ])
    .execute();
  await db.schema.createIndex('api_key_usage_hour').on('api_key_usage').column('hour').execute();

  await db.schema
    .createTable('api_key_last_use')
    .addColumn('key_id', 'text', (c) => c.notNull())
    .addColumn('generation', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('deploy_target_id', 'text')
    .addColumn('client_address', 'text')
    .addColumn('user_agent', 'text')
    .addPrimaryKeyConstraint('api_key_last_use_pk', ['key_id', 'generation'])
    .execute();

  await db.schema
    .createTable('audit_log')
    .addColumn('id', 'text', (c) => c.primaryKey())
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('actor', 'text', (c) => c.notNull())
    .addColumn('client_address', 'text')
    .addColumn('action', 'text', (c) => c.notNull())
    .addColumn('target_type', 'text', (c) => c.notNull())
    .addColumn('target_id', 'text', (c) => c.notNull())
    .addColumn('before', 'text')
    .addColumn('after', 'text')
    .execute();
  await db.schema.createIndex('audit_log_account_at').on('audit_log').columns(['account_id', 'at']).execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['audit_log', 'api_key_last_use', 'api_key_usage', 'api_key_secrets']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
  await db.schema.alterTable('api_keys').dropColumn('rate_limit_per_second').execute();
}
