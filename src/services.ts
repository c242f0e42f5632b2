/**
 * The composition function: builds every service over one store and one change feed. The HTTP
 * layer, the CLI and the tests all start from here, so there is one wiring of the product.
 */
import { type AccountService, createAccountService } from './accounts/accounts.js';
import { type Bootstrap, createBootstrap } from './accounts/bootstrap.js';
import { createLoginThrottle, type LoginThrottle } from './accounts/login-throttle.js';
import { createSessionService, type SessionService } from './accounts/sessions.js';
import { createUserService, type UserService } from './accounts/users.js';
import { type AgentService, createAgentService } from './agents/agents.js';
import type { DeployedSnapshots } from './agents/deployed-snapshots.js';
import { createDeployTargetService, type DeployTargetService } from './agents/deploy-targets.js';
import { createDeploymentService, type DeploymentService } from './agents/deployments.js';
import { createGoalService, type GoalService } from './agents/goals.js';
import { createDeployedSnapshots } from './agents/snapshot-cache.js';
import { createKeyCache, type KeyVerifier } from './keys/key-cache.js';
import { createKeyService, type KeyService } from './keys/key-service.js';
import { createKeyStore } from './keys/key-store.js';
import { type ChangeFeed, createLocalChangeFeed } from './store/changes.js';
import type { Store } from './store/connect.js';

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
  deployments: DeploymentService;
  /** the snapshot each deploy target serves (cached; what the runtime reads) */
  snapshots: DeployedSnapshots;
  keys: KeyService;
  keyVerifier: KeyVerifier;
  close(): Promise<void>;
}

export interface ServiceOptions {
  changes?: ChangeFeed;
}

export function createServices(store: Store, options: ServiceOptions = {}): Services {
  const changes = options.changes ?? createLocalChangeFeed();
  const keyStore = createKeyStore(store.db);
  const deployments = createDeploymentService(store.db, changes);
  const deployTargets = createDeployTargetService(store.db, keyStore, changes, deployments);
  const accounts = createAccountService(store.db, deployTargets);
  const users = createUserService(store.db, changes);
  return {
    store,
    changes,
    accounts,
    users,
    sessions: createSessionService(store.db),
    loginThrottle: createLoginThrottle(),
    bootstrap: createBootstrap(store.db, accounts, users),
    deployTargets,
    agents: createAgentService(store.db, deployments),
    goals: createGoalService(store.db, deployments),
    deployments,
    snapshots: createDeployedSnapshots(store.db, changes),
    keys: createKeyService(keyStore, deployTargets, changes),
    keyVerifier: createKeyCache(keyStore, changes),
    async close() {
      await store.close();
    },
  };
}
