/**
 * Goals in the store. Every function takes the executor to run on, so the goal service can call
 * them inside the transaction that also deploys the change.
 */
import type { Kysely } from 'kysely';
import type { Database, GoalsTable } from '../store/schema.js';

export interface Goal {
  code: string;
  name: string;
  /** default value credited by a reward that gives none */
  value: number;
  version: number;
  createdAt: number;
  updatedAt: number;
}

function toGoal(row: GoalsTable): Goal {
  return {
    code: row.code,
    name: row.name,
    value: row.value,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export async function selectGoals(db: Kysely<Database>, accountId: string): Promise<Goal[]> {
  const rows = await db
    .selectFrom('goals')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('code')
    .execute();
  return rows.map(toGoal);
}

export async function selectGoalCodes(db: Kysely<Database>, accountId: string): Promise<Set<string>> {
  const rows = await db.selectFrom('goals').select('code').where('account_id', '=', accountId).execute();
  return new Set(rows.map((r) => r.code));
}

export async function selectGoal(
  db: Kysely<Database>,
  accountId: string,
  code: string,
): Promise<Goal | undefined> {
  const row = await db
    .selectFrom('goals')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('code', '=', code)
    .executeTakeFirst();
  return row ? toGoal(row) : undefined;
}

/** Inserts a new goal, or replaces the one with its code. */
export async function saveGoal(
  db: Kysely<Database>,
  accountId: string,
  goal: Goal,
  isNew: boolean,
): Promise<void> {
  const values = {
    name: goal.name,
    value: goal.value,
    version: goal.version,
    updated_at: goal.updatedAt,
  };
  if (isNew) {
    await db
      .insertInto('goals')
      .values({ account_id: accountId, code: goal.code, created_at: goal.createdAt, ...values })
      .execute();
  } else {
    await db
      .updateTable('goals')
      .set(values)
      .where('account_id', '=', accountId)
      .where('code', '=', goal.code)
      .execute();
  }
}

export async function deleteGoal(db: Kysely<Database>, accountId: string, code: string): Promise<void> {
  await db.deleteFrom('goals').where('account_id', '=', accountId).where('code', '=', code).execute();
}
