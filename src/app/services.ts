/**
 * The composition function: builds every service over one store and one change feed. The HTTP
 * layer, the CLI and the tests all start from here, so there is one wiring of the product.
 */
import { createAccountService } from '../accounts/accounts.js';
import { createBootstrap } from '../accounts/bootstrap.js';
import { createSessionService } from '../accounts/sessions.js';
import { createUserService } from '../accounts/users.js';
import { createAgentService } from '../agents/agents.js';
import { createGoalService } from '../agents/goals.js';
import { createTraitService } from '../agents/traits.js';
import { createAuditLog } from '../audit/audit-log.js';
import { createEventWriter } from '../events/event-writer.js';
import { createKnownSessions } from '../events/known-sessions.js';
import { storedSessionReader } from '../events/session-events.js';
import { createKeyService } from '../keys/key-service.js';
import { createKeyStore } from '../keys/key-store.js';
import { createKeyUsageRecorder } from '../keys/key-usage.js';
import { createKeyVerifier } from '../keys/key-verifier.js';
import { redactTokens } from '../keys/token.js';
import { createMemoryRateLimiter, type KeyRateLimiter } from '../limits/key-rate-limiter.js';
import { createLoginThrottle, type LoginThrottle } from '../limits/login-throttle.js';
import { createAdaptiveAllocator } from '../reports/adaptive-allocation.js';
import { createDecisionStats } from '../reports/decision-stats.js';
import { createRuntimeService } from '../runtime/runtime-service.js';
import { createVisitorStore } from '../runtime/visitor-store.js';
import { createDeviceEvents } from '../script/device-events.js';
import { type ChangeFeed, createLocalChangeFeed } from '../store/changes.js';
import type { Store } from '../store/connect.js';
import { createDeployTargetService } from '../targets/deploy-targets.js';
import type { DeployedSnapshots } from '../targets/deployed-snapshots.js';
import { createDeployedSnapshots } from '../targets/deployed-snapshots.js';
import { createDeploymentService } from '../targets/deployments.js';
import { createQaSessionService } from '../targets/qa-sessions.js';
import type { Services } from '../web/services.js';

export type { Services };

export interface ServiceOptions {
  changes?: ChangeFeed;
  /** what the runtime reads as deployed (tests may give their own) */
  snapshots?: DeployedSnapshots;
  /** sign-in throttling shared by several servers (default: in this process) */
  loginThrottle?: LoginThrottle;
  /** per-key rate limits shared by several servers (default: in this process) */
  keyRateLimiter?: KeyRateLimiter;
  /** false: key usage is not counted (the benchmark's baseline) */
  countKeyUsage?: boolean;
  /** how often key usage is written (ms; default 5 s, 0: only at close) */
  keyUsageFlushMs?: number;
  /** the clock for key expiry, grace periods and usage (default Date.now) */
  now?: () => number;
  /** an adaptive agent's weights are not published again sooner than this (ms; default 30 min) */
  adaptiveMinIntervalMs?: number;
  /** sessions whose state is kept in memory on a SQLite file (default DEFAULT_SESSION_CACHE) */
  sessionCache?: number;
}

export function createServices(store: Store, options: ServiceOptions = {}): Services {
  const changes = options.changes ?? createLocalChangeFeed();
  const audit = createAuditLog(store.db, { redact: redactTokens });
  const keyStore = createKeyStore(store.db, changes, audit);
  const now = options.now ?? Date.now;

  const deployments = createDeploymentService(store.db, changes, audit);
  const agents = createAgentService(store.db, deployments, audit);
  const deployTargets = createDeployTargetService(store.db, {
    changes,
    audit,
    keysUsing: (deployTargetId) => keyStore.keysUsingDeployTarget(deployTargetId),
    deployer: deployments,
  });
  const accounts = createAccountService(store.db, deployTargets);
  const users = createUserService(store.db, changes, audit);
  const snapshots: DeployedSnapshots = options.snapshots ?? createDeployedSnapshots(store.db, changes);
  // A SQLite file has one server: it can know which sessions are new without reading them.
  const knownSessions = store.sqlite
    ? createKnownSessions(store.sqlite, {
        onError: (error) =>
          console.error(`stored sessions not read in yet (tried again later): ${String(error)}`),
      })
    : undefined;
  const events = createEventWriter(store, knownSessions ? { knownSessions } : {});
  const keyUsage = createKeyUsageRecorder(store.db, {
    enabled: options.countKeyUsage,
    flushMs: options.keyUsageFlushMs,
    now,
    // A SQLite file's usage goes through its commit thread, so no flush stalls a request.
    write: (batch) => events.writeUsage(batch),
    onError: (error) => console.error(`key usage not written yet (kept for the next try): ${String(error)}`),
  });
  // On PostgreSQL other servers may answer the same sessions: visitor states are read, not cached.
  const visitors = createVisitorStore(store.db, {
    cacheStates: store.dialect === 'sqlite',
    ...(options.sessionCache ? { maxCached: options.sessionCache } : {}),
    ...(store.sqlite ? { readNow: storedSessionReader(store.sqlite) } : {}),
    ...(knownSessions ? { mayHoldKey: knownSessions.mayHoldKey } : {}),
  });
  const qaSessions = createQaSessionService(store.db, deployTargets, audit, { now });
  return {
    store,
    changes,
    accounts,
    users,
    sessions: createSessionService(store.db),
    loginThrottle: options.loginThrottle ?? createLoginThrottle(),
    bootstrap: createBootstrap(store.db, accounts, users, store.exclusively),
    deployTargets,
    agents,
    goals: createGoalService(store.db, deployments, audit),
    traits: createTraitService(store.db, deployments, audit),
    deployments,
    snapshots,
    keys: createKeyService(keyStore, deployTargets, { usage: keyUsage, now }),
    keyVerifier: createKeyVerifier(keyStore, changes, { now }),
    keyUsage,
    keyRateLimiter: options.keyRateLimiter ?? createMemoryRateLimiter(),
    audit,
    now,
    events,
    visitors,
    runtime: createRuntimeService({ snapshots, visitors, events, qa: qaSessions }),
    qaSessions,
    deviceEvents: createDeviceEvents({ snapshots, events, qa: qaSessions }),
    reports: createDecisionStats({ db: store.db, snapshots, deployTargets, agents }),
    adaptive: createAdaptiveAllocator({
      db: store.db,
      agents,
      accounts,
      // Half an interval: a publication by another server sharing the database counts.
      minIntervalMs: options.adaptiveMinIntervalMs ?? 30 * 60_000,
      now,
    }),
    async close() {
      await keyUsage.close();
      await events.close();
      await store.close();
    },
  };
}
