import { type Kysely, PostgresAdapter, sql } from 'kysely';

/**
 * On SQLite the counted selections become a `WITHOUT ROWID` table: the rows live in the B-tree
 * of their key (account, session, agent) instead of a table beside an index of it. Reading a
 * session's selections (a session not cached, a reward's cohort in the commit thread) then
 * descends one tree instead of the index and then the table, at a random page of each: 5.8
 * against 8.5 µs a read with a million sessions stored, inserts the same (a microbenchmark of the
 * two tables); rewards of sessions no longer cached, in alternating turns, +5% requests/s at 5%
 * less CPU (bench/). Same key, same columns, same conflict target; SQLite cannot change a table
 * to `WITHOUT ROWID` in place, so the table is rebuilt with every row.
 *
 * PostgreSQL has no rowid: nothing changes there.
 */

function isPostgres(db: Kysely<unknown>): boolean {
  return db.getExecutor().adapter instanceof PostgresAdapter;
}

/** In one transaction (SQLite's migrations run without one): a crash leaves the old table or the new. */
async function rebuild(db: Kysely<unknown>, withoutRowid: boolean): Promise<void> {
  await sql`begin immediate`.execute(db);
  try {
    await sql`create table selection_events_rebuilt (
      account_id text not null,
      agent text not null,
      session text not null,
      variation text not null,
      deploy_target_id text not null,
      day bigint not null,
      at bigint not null,
      traits text,
      constraint selection_events_pk primary key (account_id, session, agent)
    ) ${sql.raw(withoutRowid ? 'without rowid' : '')}`.execute(db);
    await sql`insert into selection_events_rebuilt
      (account_id, agent, session, variation, deploy_target_id, day, at, traits)
      select account_id, agent, session, variation, deploy_target_id, day, at, traits
      from selection_events order by account_id, session, agent`.execute(db);
    await sql`drop table selection_events`.execute(db);
    await sql`alter table selection_events_rebuilt rename to selection_events`.execute(db);
    await sql`commit`.execute(db);
  } catch (error) {
    await sql`rollback`.execute(db);
    throw error;
  }
}

export async function up(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  await rebuild(db, true);
}

export async function down(db: Kysely<unknown>): Promise<void> {
  if (isPostgres(db)) return;
  await rebuild(db, false);
}
