import type { Kysely } from 'kysely';

/**
 * The weights adaptive allocation learned, one row per publication: the configuration version
 * that carried them to the deploy targets, when, and the weights by variation (JSON). The latest
 * row of an agent is what its snapshot holds; the rows together are the report's weight history.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('adaptive_weights')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('agent', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addColumn('weights', 'text', (c) => c.notNull())
    .addPrimaryKeyConstraint('adaptive_weights_pk', ['account_id', 'agent', 'version'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('adaptive_weights').execute();
}
