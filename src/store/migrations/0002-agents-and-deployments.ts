import type { Kysely } from 'kysely';

/** The columns the backfill below touches, as they are at this migration. */
interface BackfillTables {
  accounts: { id: string };
  deploy_targets: {
    account_id: string;
    deploy_mode: string;
    deployed_version: number | null;
    deployed_at: number | null;
  };
  configurations: { account_id: string; version: number; changed_at: number };
  snapshots: { account_id: string; version: number; body: string; created_at: number };
}

// Agents, goals, and the snapshots that deploy targets serve. Schema builder only, so the same
// migration runs on SQLite and PostgreSQL.
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('agents')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('status', 'text', (c) => c.notNull())
    .addColumn('paused_at', 'text')
    /** JSON: metaKeys, variations, conditions, goals */
    .addColumn('definition', 'text', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('agents_pk', ['account_id', 'code'])
    .execute();

  await db.schema
    .createTable('goals')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('code', 'text', (c) => c.notNull())
    .addColumn('name', 'text', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('version', 'integer', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('goals_pk', ['account_id', 'code'])
    .execute();

  // One row per account: the version of its agents-and-goals configuration. Every change bumps it
  // under the row's lock, which also serializes concurrent changes of one account.
  await db.schema
    .createTable('configurations')
    .addColumn('account_id', 'text', (c) => c.primaryKey().references('accounts.id').onDelete('cascade'))
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('changed_at', 'bigint', (c) => c.notNull())
    .execute();

  // Immutable snapshots, shared by every target deployed with the same configuration version
  // (deploy_targets.deployed_version points here).
  await db.schema
    .createTable('snapshots')
    .addColumn('account_id', 'text', (c) => c.notNull().references('accounts.id').onDelete('cascade'))
    .addColumn('version', 'bigint', (c) => c.notNull())
    .addColumn('body', 'text', (c) => c.notNull())
    .addColumn('created_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('snapshots_pk', ['account_id', 'version'])
    .execute();

  // Accounts made before this migration: their automatic targets serve the (empty) configuration
  // version 0, as those of a new account do.
  const typed = db as unknown as Kysely<BackfillTables>;
  const now = Date.now();
  for (const { id } of await typed.selectFrom('accounts').select('id').execute()) {
    await typed
      .insertInto('configurations')
      .values({ account_id: id, version: 0, changed_at: now })
      .execute();
    await typed
      .insertInto('snapshots')
      .values({
        account_id: id,
        version: 0,
        body: JSON.stringify({ version: 0, agents: {}, goals: {} }),
        created_at: now,
      })
      .execute();
    await typed
      .updateTable('deploy_targets')
      .set({ deployed_version: 0, deployed_at: now })
      .where('account_id', '=', id)
      .where('deploy_mode', '=', 'automatic')
      .execute();
  }
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of ['snapshots', 'configurations', 'goals', 'agents']) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
