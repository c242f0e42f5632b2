import type { Kysely } from 'kysely';

/**
 * Report breakdowns by custom trait (docs/targeting.md): sessions and conversions per value of a
 * `cust/` trait group, kept by the group commit beside the other aggregates so a breakdown costs
 * the same at any volume. A selection keeps the session's `cust/` traits it was counted with
 * (JSON list; null when the recorder gave none), so its rewards credit those same values even if
 * the session's traits change later. No foreign keys, as for the other event tables.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema.alterTable('selection_events').addColumn('traits', 'text').execute();

  await db.schema
    .createTable('trait_daily_stats')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('agent', 'text', (c) => c.notNull())
    .addColumn('deploy_target_id', 'text', (c) => c.notNull())
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('variation', 'text', (c) => c.notNull())
    .addColumn('trait_group', 'text', (c) => c.notNull())
    .addColumn('trait_value', 'text', (c) => c.notNull())
    .addColumn('sessions', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('trait_daily_stats_pk', [
      'account_id',
      'agent',
      'trait_group',
      'deploy_target_id',
      'day',
      'variation',
      'trait_value',
    ])
    .execute();

  await db.schema
    .createTable('trait_goal_daily_stats')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('agent', 'text', (c) => c.notNull())
    .addColumn('deploy_target_id', 'text', (c) => c.notNull())
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('variation', 'text', (c) => c.notNull())
    .addColumn('trait_group', 'text', (c) => c.notNull())
    .addColumn('trait_value', 'text', (c) => c.notNull())
    .addColumn('goal', 'text', (c) => c.notNull())
    .addColumn('conversions', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('trait_goal_daily_stats_pk', [
      'account_id',
      'agent',
      'trait_group',
      'deploy_target_id',
      'day',
      'variation',
      'trait_value',
      'goal',
    ])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  await db.schema.dropTable('trait_goal_daily_stats').ifExists().execute();
  await db.schema.dropTable('trait_daily_stats').ifExists().execute();
  await db.schema.alterTable('selection_events').dropColumn('traits').execute();
}
