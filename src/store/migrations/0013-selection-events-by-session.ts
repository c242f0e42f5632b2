import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * A new session's state is not stored beside its counted selection when the selection alone gives
 * it back (runtime/visitor-store.ts): one durable row per new session instead of two. Reading such
 * a session back means reading its counted selections by (account, session), so on SQLite the
 * primary key of `selection_events` leads with the session: (account, session, agent). The same
 * key, in another order, so every commit costs what it did and the conflict target (a set of
 * columns) still matches. SQLite cannot change a primary key in place: the table is rebuilt.
 *
 * PostgreSQL keeps its key: it has read by session since 0006, through `selection_events_session`.
 */
function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** In one transaction (SQLite's migrations run without one): a crash leaves the old table or the new. */
async function rebuild(db: Kysely<unknown>, key: string): Promise<void> {
  await sql`begin immediate`.execute(db);
  try {
    await copy(db, key);
    await sql`commit`.execute(db);
  } catch (error) {
    await sql`rollback`.execute(db);
    throw error;
  }
}

async function copy(db: Kysely<unknown>, key: string): Promise<void> {
  await sql`create table selection_events_rebuilt (
    account_id text not null,
    agent text not null,
    session text not null,
    variation text not null,
    deploy_target_id text not null,
    day bigint not null,
    at bigint not null,
    traits text,
    constraint selection_events_pk primary key (${sql.raw(key)})
  )`.execute(db);
  await sql`insert into selection_events_rebuilt
    (account_id, agent, session, variation, deploy_target_id, day, at, traits)
    select account_id, agent, session, variation, deploy_target_id, day, at, traits
    from selection_events order by ${sql.raw(key)}`.execute(db);
  await sql`drop table selection_events`.execute(db);
  await sql`alter table selection_events_rebuilt rename to selection_events`.execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  await rebuild(db, 'account_id, session, agent');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  await rebuild(db, 'account_id, agent, session');
}
