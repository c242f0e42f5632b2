/**
 * The stored side of key usage: hourly buckets of requests per key, deploy target, secret
 * generation and outcome (`api_key_usage`), and each secret generation's last accepted request
 * (`api_key_last_use`). Counting happens in memory in keys/key-usage.ts; batches arrive here,
 * written beside the runtime's events (a SQLite file's commit thread writes both).
 */
import type { Kysely } from 'kysely';
import { chunks } from '../store/chunks.js';
import type { Database } from '../store/schema.js';

export interface UsageCounter {
  keyId: string;
  hour: number;
  deployTargetId: string;
  generation: number;
  outcome: string;
  requests: number;
}

export interface UsageLastUse {
  keyId: string;
  at: number;
  deployTargetId: string | null;
  clientAddress: string | null;
  userAgent: string | null;
  /** the secret generation used (1 for the key's first secret, +1 per roll) */
  generation: number;
}

/** What one flush writes. Plain data: it may be handed to another thread. */
export interface UsageBatch {
  counters: UsageCounter[];
  uses: UsageLastUse[];
}

/** Adds a batch to the hourly buckets and the last uses, in one transaction. */
export async function writeUsage(db: Kysely<Database>, { counters: batch, uses }: UsageBatch): Promise<void> {
  // Rows in key order: servers sharing PostgreSQL take row locks in one order (no deadlock).
  batch.sort(
    (a, b) =>
      a.keyId.localeCompare(b.keyId) ||
      a.hour - b.hour ||
      a.deployTargetId.localeCompare(b.deployTargetId) ||
      a.generation - b.generation ||
      a.outcome.localeCompare(b.outcome),
  );
  uses.sort((a, b) => a.keyId.localeCompare(b.keyId) || a.generation - b.generation);
  await db.transaction().execute(async (trx) => {
    for (const chunk of chunks(batch)) {
      await trx
        .insertInto('api_key_usage')
        .values(
          chunk.map((c) => ({
            key_id: c.keyId,
            hour: c.hour,
            deploy_target_id: c.deployTargetId,
            generation: c.generation,
            outcome: c.outcome,
            requests: c.requests,
          })),
        )
        .onConflict((oc) =>
          oc.columns(['key_id', 'hour', 'deploy_target_id', 'generation', 'outcome']).doUpdateSet((eb) => ({
            requests: eb('api_key_usage.requests', '+', eb.ref('excluded.requests')),
          })),
        )
        .execute();
    }
    for (const chunk of chunks(uses)) {
      await trx
        .insertInto('api_key_last_use')
        .values(
          chunk.map((u) => ({
            key_id: u.keyId,
            generation: u.generation,
            at: u.at,
            deploy_target_id: u.deployTargetId,
            client_address: u.clientAddress,
            user_agent: u.userAgent,
          })),
        )
        .onConflict((oc) =>
          oc
            .columns(['key_id', 'generation'])
            .doUpdateSet((eb) => ({
              at: eb.ref('excluded.at'),
              deploy_target_id: eb.ref('excluded.deploy_target_id'),
              client_address: eb.ref('excluded.client_address'),
              user_agent: eb.ref('excluded.user_agent'),
            }))
            .where((eb) => eb('excluded.at', '>', eb.ref('api_key_last_use.at'))),
        )
        .execute();
    }
  });
}

/** Deletes buckets of hours before `hour`. */
export async function pruneUsage(db: Kysely<Database>, hour: number): Promise<void> {
  await db.deleteFrom('api_key_usage').where('hour', '<', hour).execute();
}

/** The first hour each usage window counts. */
export interface UsageWindowStarts {
  lastHour: number;
  lastDay: number;
  last30Days: number;
}

export interface StoredUsage {
  counts: Array<{
    keyId: string;
    deployTargetId: string;
    generation: number;
    outcome: string;
    lastHour: number;
    lastDay: number;
    last30Days: number;
  }>;
  uses: UsageLastUse[];
}

/** Requests of each key per window since `starts.last30Days`, and the keys' last uses. */
export async function readUsage(
  db: Kysely<Database>,
  keyIds: readonly string[],
  starts: UsageWindowStarts,
): Promise<StoredUsage> {
  const result: StoredUsage = { counts: [], uses: [] };
  for (const ids of chunks(keyIds)) {
    const rows = await db
      .selectFrom('api_key_usage')
      .select(['key_id', 'deploy_target_id', 'generation', 'outcome'])
      .select((eb) => [
        eb.fn
          .sum<number>(eb.case().when('hour', '>=', starts.lastHour).then(eb.ref('requests')).else(0).end())
          .as('last_hour'),
        eb.fn
          .sum<number>(eb.case().when('hour', '>=', starts.lastDay).then(eb.ref('requests')).else(0).end())
          .as('last_day'),
        eb.fn.sum<number>('requests').as('last_30_days'),
      ])
      .where('key_id', 'in', ids)
      .where('hour', '>=', starts.last30Days)
      .groupBy(['key_id', 'deploy_target_id', 'generation', 'outcome'])
      .execute();
    for (const row of rows) {
      result.counts.push({
        keyId: row.key_id,
        deployTargetId: row.deploy_target_id,
        generation: row.generation,
        outcome: row.outcome,
        lastHour: Number(row.last_hour),
        lastDay: Number(row.last_day),
        last30Days: Number(row.last_30_days),
      });
    }
    const uses = await db.selectFrom('api_key_last_use').selectAll().where('key_id', 'in', ids).execute();
    for (const use of uses) {
      result.uses.push({
        keyId: use.key_id,
        at: use.at,
        deployTargetId: use.deploy_target_id,
        clientAddress: use.client_address,
        userAgent: use.user_agent,
        generation: use.generation,
      });
    }
  }
  return result;
}
