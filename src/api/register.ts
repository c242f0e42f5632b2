/**
 * The JSON API's one entry point: every route area, each given only the services it uses, so
 * what an area can reach is read here.
 */
import type { FastifyInstance } from 'fastify';
import type { Metrics } from '../web/metrics.js';
import type { Services } from '../web/services.js';
import { registerAgentRoutes } from './admin/agents.js';
import { registerApiKeyRoutes } from './admin/api-keys.js';
import { registerAuditRoutes } from './admin/audit.js';
import { registerDeployTargetRoutes } from './admin/deploy-targets.js';
import { registerDeploymentRoutes } from './admin/deployments.js';
import { registerGoalRoutes } from './admin/goals.js';
import { registerQaRoutes } from './admin/qa.js';
import { registerReportRoutes } from './admin/reports.js';
import { registerTraitRoutes } from './admin/traits.js';
import { registerUserRoutes } from './admin/users.js';
import { registerAuthRoutes } from './auth/auth.js';
import { registerHealthRoutes } from './health.js';
import { registerAgentApiRoutes } from './runtime/agent-api.js';
import { registerKeySelfRoutes } from './runtime/keys-self.js';
import { registerScriptRoutes, type ScriptOptions } from './script/script.js';

/** The named services only. */
function only<Name extends keyof Services>(services: Services, ...names: Name[]): Pick<Services, Name> {
  const picked = {} as Pick<Services, Name>;
  for (const name of names) picked[name] = services[name];
  return picked;
}

export interface ApiOptions {
  script: ScriptOptions;
}

export function registerApi(
  app: FastifyInstance,
  services: Services,
  metrics: Metrics,
  options: ApiOptions,
): void {
  registerHealthRoutes(app, only(services, 'store'), metrics);
  registerAuthRoutes(app, only(services, 'users', 'loginThrottle', 'sessions', 'accounts', 'bootstrap'));
  registerApiKeyRoutes(app, only(services, 'keys', 'keyUsage', 'now'));
  registerKeySelfRoutes(app, only(services, 'accounts', 'keys', 'now'));
  registerAuditRoutes(app, only(services, 'audit'));
  registerDeployTargetRoutes(app, only(services, 'deployTargets'));
  registerDeploymentRoutes(app, only(services, 'deployments', 'deployTargets'));
  registerAgentRoutes(app, only(services, 'agents'));
  registerGoalRoutes(app, only(services, 'goals'));
  registerTraitRoutes(app, only(services, 'traits'));
  registerQaRoutes(app, only(services, 'qaSessions', 'runtime', 'deployTargets'));
  registerUserRoutes(app, only(services, 'users'));
  registerAgentApiRoutes(app, only(services, 'runtime', 'events'));
  registerScriptRoutes(app, only(services, 'snapshots', 'deviceEvents'), options.script);
  registerReportRoutes(app, only(services, 'reports'));
}
