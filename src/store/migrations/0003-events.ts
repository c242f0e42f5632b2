import type { Kysely } from 'kysely';

/**
 * Visitor state, the event log and the report aggregates.
 *
 * The event tables' primary keys are the idempotency rule: a selection counts once per
 * (account, agent, session), a reward once per (account, agent, goal, session), whichever server
 * or client recorded it. The aggregate tables are kept in the same transaction as the events, so
 * a report reads a few rows per variation and day whatever the traffic was. No foreign keys: the
 * hot path should not pay for them, and reports outlive deleted deploy targets.
 */
export async function up(db: Kysely<unknown>): Promise<void> {
  await db.schema
    .createTable('visitors')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('session', 'text', (c) => c.notNull())
    .addColumn('state', 'text', (c) => c.notNull())
    .addColumn('updated_at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('visitors_pk', ['account_id', 'session'])
    .execute();

  await db.schema
    .createTable('selection_events')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('agent', 'text', (c) => c.notNull())
    .addColumn('session', 'text', (c) => c.notNull())
    .addColumn('variation', 'text', (c) => c.notNull())
    .addColumn('deploy_target_id', 'text', (c) => c.notNull())
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('selection_events_pk', ['account_id', 'agent', 'session'])
    .execute();

  await db.schema
    .createTable('reward_events')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('agent', 'text', (c) => c.notNull())
    .addColumn('goal', 'text', (c) => c.notNull())
    .addColumn('session', 'text', (c) => c.notNull())
    .addColumn('variation', 'text', (c) => c.notNull())
    .addColumn('deploy_target_id', 'text', (c) => c.notNull())
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('value', 'double precision', (c) => c.notNull())
    .addColumn('at', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('reward_events_pk', ['account_id', 'agent', 'goal', 'session'])
    .execute();

  await db.schema
    .createTable('agent_daily_stats')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('agent', 'text', (c) => c.notNull())
    .addColumn('deploy_target_id', 'text', (c) => c.notNull())
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('variation', 'text', (c) => c.notNull())
    .addColumn('sessions', 'bigint', (c) => c.notNull())
    .addPrimaryKeyConstraint('agent_daily_stats_pk', [
      'account_id',
      'agent',
      'deploy_target_id',
      'day',
      'variation',
    ])
    .execute();

  await db.schema
    .createTable('goal_daily_stats')
    .addColumn('account_id', 'text', (c) => c.notNull())
    .addColumn('agent', 'text', (c) => c.notNull())
    .addColumn('deploy_target_id', 'text', (c) => c.notNull())
    .addColumn('day', 'bigint', (c) => c.notNull())
    .addColumn('variation', 'text', (c) => c.notNull())
    .addColumn('goal', 'text', (c) => c.notNull())
    .addColumn('conversions', 'bigint', (c) => c.notNull())
    .addColumn('value_sum', 'double precision', (c) => c.notNull())
    .addColumn('value_sum_sq', 'double precision', (c) => c.notNull())
    .addPrimaryKeyConstraint('goal_daily_stats_pk', [
      'account_id',
      'agent',
      'deploy_target_id',
      'day',
      'variation',
      'goal',
    ])
    .execute();
}

export async function down(db: Kysely<unknown>): Promise<void> {
  for (const table of [
    'goal_daily_stats',
    'agent_daily_stats',
    'reward_events',
    'selection_events',
    'visitors',
  ]) {
    await db.schema.dropTable(table).ifExists().execute();
  }
}
