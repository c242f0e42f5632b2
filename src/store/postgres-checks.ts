/**
 * What a PostgreSQL server should have for Tessera to stay fast, checked at start and said
 * once, as a warning: the server still starts.
 *
 * Autovacuum: the runtime's lookups (a session's state and counted events, the selection a
 * reward is credited to) go by index only when the planner's statistics know the event tables'
 * size. Without autovacuum nothing analyzes them, the planner goes on believing them empty, and
 * a reward's lookup reads every session its agent ever had: on a test machine, two servers fell
 * from 1,000 to 470 requests/s each within a minute, and stayed steady with ANALYZE every 5 s.
 */
import { sql } from 'kysely';
import type { Store } from './connect.js';

export async function postgresWarnings(store: Store): Promise<string[]> {
  if (store.dialect !== 'postgres') return [];
  const warnings: string[] = [];
  const { rows } = await sql<{ autovacuum: string }>`show autovacuum`.execute(store.db);
  if (rows[0]?.autovacuum !== 'on') {
    warnings.push(
      'PostgreSQL runs with autovacuum off: nothing keeps the planner statistics of the event tables up to date, ' +
        'and runtime requests slow down as they grow. Turn autovacuum on (its default), or ANALYZE the database regularly.',
    );
  }
  return warnings;
}
