import { type Kysely, PostgresAdapter } from 'kysely';

/**
 * Servers sharing a PostgreSQL store read a session's counted selections and rewards with its
 * visitor state on every request (runtime/visitor-store.ts), so a state one server wrote over
 * another's at the same instant loses nothing. That read is by (account, session), which the
 * event tables' primary keys (account, agent, …, session) cannot answer without a scan.
 *
 * PostgreSQL only: on SQLite one server owns the file and answers sessions from its own cache,
 * so the read never runs there, and each index would only slow the commit of every event
 * (measured: 10–20% more per new session's commit).
 */
function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

export async function up(db: Kysely<unknown>): Promise<void> {
  if (!isPostgres(db)) return;
  await db.schema
    .createIndex('selection_events_session')
    .on('selection_events')
    .columns(['account_id', 'session'])
    .execute();
  await db.schema
    .createIndex('reward_events_session')
    .on('reward_events')
    .columns(['account_id', 'session'])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (!isPostgres(db)) return;
  await db.schema.dropIndex('reward_events_session').execute();
  await db.schema.dropIndex('selection_events_session').execute();
}
