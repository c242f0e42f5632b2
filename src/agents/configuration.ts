/**
 * How a change to an account's agents or goals is made. The targets module implements it
 * (targets/deployments.ts): it bumps the account's configuration version under its lock and
 * deploys the change to every `automatic` target in the change's own transaction. Agents and goals
 * only ask for it, so they import nothing from the module that deploys them.
 */
import type { Kysely } from 'kysely';
import type { Database } from '../store/schema.js';

export interface ConfigurationChanges {
  /**
   * Runs one change of the account's agents or goals: `apply` runs in a transaction that holds
   * the account's configuration lock (so checks against other agents and goals cannot race) and
   * receives the new version; the change is then deployed to every `automatic` target in the same
   * transaction, and announced with its commit. If `apply` throws, nothing changes.
   */
  change<T>(accountId: string, apply: (trx: Kysely<Database>, version: number) => Promise<T>): Promise<T>;
}
