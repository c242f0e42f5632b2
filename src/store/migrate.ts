import { setTimeout as delay } from 'node:timers/promises';
import { type Migration, Migrator, sql } from 'kysely';
import type { Store } from './connect.js';
import * as foundation from './migrations/0001-foundation.js';
import * as agentsAndDeployments from './migrations/0002-agents-and-deployments.js';
import * as events from './migrations/0003-events.js';
import * as keyAllowedOrigins from './migrations/0004-key-allowed-origins.js';
import * as keyLifecycle from './migrations/0005-key-lifecycle.js';
import * as sessionEventLookup from './migrations/0006-session-event-lookup.js';
import * as jsTargetPrivacy from './migrations/0007-js-target-privacy.js';
import * as aiming from './migrations/0008-aiming.js';
import * as adaptiveWeights from './migrations/0009-adaptive-weights.js';
import * as jsTargetStorage from './migrations/0010-js-target-storage.js';
import * as qaRequests from './migrations/0011-qa-requests.js';
import * as traitBreakdowns from './migrations/0012-trait-breakdowns.js';
import * as selectionEventsBySession from './migrations/0013-selection-events-by-session.js';
import * as rewardEventsBySession from './migrations/0014-reward-events-by-session.js';
import * as selectionEventsWithoutRowid from './migrations/0015-selection-events-without-rowid.js';

// Listed here rather than read from a folder, so they work the same under tsx, a bundler or tests.
const migrations: Record<string, Migration> = {
  '0001-foundation': foundation,
  '0002-agents-and-deployments': agentsAndDeployments,
  '0003-events': events,
  '0004-key-allowed-origins': keyAllowedOrigins,
  '0005-key-lifecycle': keyLifecycle,
  '0006-session-event-lookup': sessionEventLookup,
  '0007-js-target-privacy': jsTargetPrivacy,
  '0008-aiming': aiming,
  '0010-js-target-storage': jsTargetStorage,
  '0009-adaptive-weights': adaptiveWeights,
  '0011-qa-requests': qaRequests,
  '0012-trait-breakdowns': traitBreakdowns,
  '0013-selection-events-by-session': selectionEventsBySession,
  '0014-reward-events-by-session': rewardEventsBySession,
  '0015-selection-events-without-rowid': selectionEventsWithoutRowid,
};

/** Tries of a migration whose scan of the database's tables met a table renamed or dropped meanwhile. */
const MIGRATE_ATTEMPTS = 6;

export async function migrateToLatest(store: Store): Promise<string[]> {
  // A schema named in the configuration is made on first start, like the tables in it.
  if (store.dialect === 'postgres' && store.schema) {
    await sql`create schema if not exists ${sql.id(store.schema)}`.execute(store.db);
  }
  const migrator = new Migrator({
    db: store.db,
    provider: { getMigrations: async () => migrations },
    // Kysely looks for its own tables in every schema unless told which: another schema's
    // (another test's, another app's) would make it skip creating them in ours.
    ...(store.schema ? { migrationTableSchema: store.schema } : {}),
  });
  return migrateWith(migrator);
}

/**
 * Runs `migrator` to its latest migration, trying again when its scan of the database's tables
 * met a table renamed or dropped meanwhile (below). Answers the migrations run; throws their error.
 */
export async function migrateWith(migrator: Migrator): Promise<string[]> {
  for (let attempt = 1; ; attempt++) {
    const { error, results } = await migrator.migrateToLatest();
    if (!error) return (results ?? []).filter((r) => r.status === 'Success').map((r) => r.migrationName);
    // Before migrating, Kysely lists the tables of every schema of the database; a table that
    // another application (or test) renames or drops during that scan fails it with 42P01
    // (undefined table). The run is one transaction on PostgreSQL, so nothing changed: try again,
    // after a pause that grows (50 ms to 0.8 s), so a scan that met a rename does not meet the
    // rename back (a full suite on a busy host met it three times in a row without pauses).
    if ((error as { code?: unknown }).code === '42P01' && attempt < MIGRATE_ATTEMPTS) {
      await delay(50 * 2 ** (attempt - 1));
      continue;
    }
    throw error instanceof Error ? error : new Error(String(error));
  }
}
