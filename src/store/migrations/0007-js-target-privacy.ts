import type { Kysely } from 'kysely';

/**
 * A JS deploy target may honour the browser's privacy signals (Do-Not-Track, Global Privacy
 * Control): its script then neither counts nor stores a visitor who sends one. Off (0) for every
 * existing target, so nothing changes until someone turns it on.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('deploy_targets')
    .addColumn('honour_privacy_signals', 'integer', (c) => c.notNull().defaultTo(0))
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deploy_targets').dropColumn('honour_privacy_signals').execute();
}
