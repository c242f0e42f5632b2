import type { Kysely } from 'kysely';

/**
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
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('trait_rules').execute();
}
