import type { Kysely } from 'kysely';

/**
 * Aiming (docs/targeting.md).
 *
 * An account's custom visitor traits: per trait group, ordered rules that give the session the
 * trait `cust/GROUP:VALUE` of the first that holds (docs/targeting.md). The rules are one JSON
 * column, read and written whole, as an agent's definition is.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('trait_rules')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('trait_group', 'text', (c) => c.notNull())
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('trait_rules_pk', ['account_id', 'trait_group'])
    .execute();

  // QA sessions of a deploy target: a session code whose selections and rewards are never
  // counted, with forced variations (JSON: agent code → variation) and an expiry.
  await db.schema
    .createTable('qa_sessions')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('deploy_target_id', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('forced', 'text', (c) => c.notNull())
    .addColumn('expires_at', 'bigint', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('created_by', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('qa_sessions_pk', ['account_id', 'code'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('qa_sessions').execute();
  await db.schema.dropTable('trait_rules').execute();
}
