import type { Kysely } from 'kysely';

/**
 * JS / On-Device keys may name the web origins whose pages may send browser events with them.
 * A JSON list of origins as text; null means any origin.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').addColumn('allowed_origins', 'text').execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('api_keys').dropColumn('allowed_origins').execute();
}
