import type { Kysely } from 'kysely';

/**
 * The recent requests of each QA session (docs/targeting.md), with the engine's debug log, for the
 * console. Kept in the store rather than per server so every server's requests show, whichever
 * server the console asks; at most 50 per QA session (older ones are deleted on insert). `id`
 * sorts by time: the request's milliseconds, then a per-server counter.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('qa_requests')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('id', 'text', (c) => c.notNull())
    .addColumn('deploy_target_id', 'text', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('request', 'text', (c) => c.notNull())
    .addColumn('items', 'text', (c) => c.notNull())
    .addColumn('log', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('qa_requests_pk', ['account_id', 'code', 'id'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('qa_requests').execute();
}
