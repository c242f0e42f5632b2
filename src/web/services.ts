/**
 * What the two faces (the JSON API and the console) and the HTTP kernel are handed: every service
 * of the domain, built once by the composition (app/services.ts `createServices`). It is declared
 * here, below the faces, so that a route can name the services it uses (`Pick<Services, …>`)
 * without importing the layer that assembles them.
 */

import type { AccountService } from '../accounts/accounts.js';
import type { Bootstrap } from '../accounts/bootstrap.js';
import type { SessionService } from '../accounts/sessions.js';
import type { UserService } from '../accounts/users.js';
import type { AgentService } from '../agents/agents.js';
import type { GoalService } from '../agents/goals.js';
import type { TraitService } from '../agents/traits.js';
import type { AuditLog } from '../audit/audit-log.js';
import type { EventWriter } from '../events/event-writer.js';
import type { KeyService } from '../keys/key-service.js';
import type { KeyUsageRecorder } from '../keys/key-usage.js';
import type { KeyVerifier } from '../keys/key-verifier.js';
import type { KeyRateLimiter } from '../limits/key-rate-limiter.js';
import type { LoginThrottle } from '../limits/login-throttle.js';
import type { AdaptiveAllocator } from '../reports/adaptive-allocation.js';
import type { DecisionStatsService } from '../reports/decision-stats.js';
import type { RuntimeService } from '../runtime/runtime-service.js';
import type { VisitorStore } from '../runtime/visitor-store.js';
import type { DeviceEvents } from '../script/device-events.js';
import type { ChangeFeed } from '../store/changes.js';
import type { Store } from '../store/connect.js';
import type { DeployTargetService } from '../targets/deploy-targets.js';
import type { DeployedSnapshots } from '../targets/deployed-snapshots.js';
import type { DeploymentService } from '../targets/deployments.js';
import type { QaSessionService } from '../targets/qa-sessions.js';

export interface Services {
  store: Store;
  changes: ChangeFeed;
  accounts: AccountService;
  users: UserService;
  sessions: SessionService;
  loginThrottle: LoginThrottle;
  bootstrap: Bootstrap;
  deployTargets: DeployTargetService;
  agents: AgentService;
  goals: GoalService;
  /** custom visitor traits (docs/targeting.md) */
  traits: TraitService;
  /** QA sessions of deploy targets (docs/targeting.md) */
  qaSessions: QaSessionService;
  deployments: DeploymentService;
  /** the snapshot each deploy target serves (cached; what the runtime reads) */
  snapshots: DeployedSnapshots;
  keys: KeyService;
  keyVerifier: KeyVerifier;
  /** key usage, counted in memory and written in batches */
  keyUsage: KeyUsageRecorder;
  /** per-key rate limits (429 over a key's limit) */
  keyRateLimiter: KeyRateLimiter;
  audit: AuditLog;
  /** the clock for key expiry, grace periods and usage */
  now: () => number;
  /** durable, group-committed visitor states and events */
  events: EventWriter;
  visitors: VisitorStore;
  runtime: RuntimeService;
  /** selections and rewards decided on devices (script tag, native apps), into the same reports */
  deviceEvents: DeviceEvents;
  reports: DecisionStatsService;
  /** recomputes and publishes adaptive agents' weights (the server runs it on a schedule) */
  adaptive: AdaptiveAllocator;
  close(): Promise<void>;
}
