import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * A reward that changes nothing but the goals a session has used up stores no state beside its
 * counted reward (runtime/visitor-store.ts, `givenBack`), so every read of a session reads its
 * counted rewards by (account, session). On SQLite the primary key of `reward_events` then leads
 * with the session: (account, session, agent, goal). The same key in another order, so a commit
 * costs what it did and the conflict target (a set of columns) still matches; without it, that
 * read scanned the account's rewards (a million-session run: rewards fell from 2,187 to 139 per
 * second as they accumulated). SQLite cannot change a primary key in place: the table is rebuilt.
 *
 * PostgreSQL keeps its key: it has read by session since 0006, through `reward_events_session`.
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
  await sql`create table reward_events_rebuilt (
    account_id text not null,
    agent text not null,
    goal text not null,
    session text not null,
    variation text not null,
    deploy_target_id text not null,
    day bigint not null,
    value double precision not null,
    at bigint not null,
    constraint reward_events_pk primary key (${sql.raw(key)})
  )`.execute(db);
  await sql`insert into reward_events_rebuilt
    (account_id, agent, goal, session, variation, deploy_target_id, day, value, at)
    select account_id, agent, goal, session, variation, deploy_target_id, day, value, at
    from reward_events order by ${sql.raw(key)}`.execute(db);
  await sql`drop table reward_events`.execute(db);
  await sql`alter table reward_events_rebuilt rename to reward_events`.execute(db);
}

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  await rebuild(db, 'account_id, session, agent, goal');
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  await rebuild(db, 'account_id, agent, goal, session');
}
