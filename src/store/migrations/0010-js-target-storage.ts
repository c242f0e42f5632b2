import type { Kysely } from 'kysely';

/**
 * Where a JS deploy target's script keeps the visitor's state: `localStorage` (one per host name,
 * what every existing target does) or `cookie`, a first-party cookie that may be set on a parent
 * domain (`cookie_domain`) so a visitor keeps their variations across its subdomains.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .alterTable('deploy_targets')
    .addColumn('visitor_storage', 'text', (c) => c.notNull().defaultTo('localStorage'))
    .execute();
  await db.schema.alterTable('deploy_targets').addColumn('cookie_domain', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('deploy_targets').dropColumn('cookie_domain').execute();
  await db.schema.alterTable('deploy_targets').dropColumn('visitor_storage').execute();
}
