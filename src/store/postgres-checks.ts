/**
 * What a PostgreSQL server should have for Tessera to stay fast, checked at start and said
 * once, as a warning: the server still starts.
 *
 * Autovacuum: without it nothing removes the dead rows each update of a daily aggregate or a
 * visitor's state leaves, and nothing keeps the planner's statistics current. The runtime's
 * lookups join to their keys and go by index even unanalyzed (events/postgres-plans.test.ts);
 * as lists of tuples they read every session of an agent, and two servers with autovacuum off
 * fell from 1,000 to 470 requests/s each within a minute.
 */
import { sql } from 'kysely';
import type { Store } from './connect.js';

export async function postgresWarnings(store: Store): Promise<string[]> {
  if (store.dialect !== 'postgres') return [];
  const warnings: string[] = [];
  const { rows } = await sql<{ autovacuum: string }>`show autovacuum`.execute(store.db);
  if (rows[0]?.autovacuum !== 'on') {
    warnings.push(
      'PostgreSQL runs with autovacuum off: nothing removes the dead rows of updated aggregates and visitor states ' +
        'or keeps the planner statistics current, so tables and queries slow down as they grow. ' +
        'Turn autovacuum on (its default), or VACUUM ANALYZE the database regularly.',
    );
  }
  return warnings;
}
