/**
 * The weights adaptive allocation learned (`adaptive_weights`), owned by the agents they belong
 * to: written with the configuration version that publishes them, read by the deployment that
 * builds a snapshot (the latest per agent) and by the report (the history).
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface AdaptiveWeights {
  agent: string;
  /** the configuration version that published them */
  version: number;
  at: number;
  weights: Record<string, number>;
}

function parse(row: Database['adaptive_weights']): AdaptiveWeights {
  return {
    agent: row.agent,
    version: Number(row.version),
    at: Number(row.at),
    weights: JSON.parse(row.weights),
  };
}

export async function insertAdaptiveWeights(
  db: Kysely<Database>,
  accountId: string,
  entry: AdaptiveWeights,
): Promise<void> {
  await db
    .insertInto('adaptive_weights')
    .values({
      account_id: accountId,
      agent: entry.agent,
      version: entry.version,
      at: entry.at,
      weights: JSON.stringify(entry.weights),
    })
    .execute();
}

/** The latest weights of each agent of the account that has any, as of `version` (inclusive). */
export async function selectLatestAdaptiveWeights(
  db: Kysely<Database>,
  accountId: string,
  version: number,
): Promise<Map<string, AdaptiveWeights>> {
  const rows = await db
    .selectFrom('adaptive_weights')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('version', '<=', version)
    .orderBy('version')
    .execute();
  const latest = new Map<string, AdaptiveWeights>();
  for (const row of rows) latest.set(row.agent, parse(row));
  return latest;
}

/** Every publication of one agent's weights, oldest first (at most `limit`, the newest kept). */
export async function selectAdaptiveWeightHistory(
  db: Kysely<Database>,
  accountId: string,
  agent: string,
  limit = 1000,
): Promise<AdaptiveWeights[]> {
  const rows = await db
    .selectFrom('adaptive_weights')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('agent', '=', agent)
    .orderBy('version', 'desc')
    .limit(limit)
    .execute();
  return rows.map(parse).reverse();
}
