/**
 * "Deploy now" (spec 3.3): points a deploy target at the account's current configuration. Needs
 * `deploy` (Agent Admin, Account Admin, an Agent Author / Admin key); answers the target's record.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { auditActor } from '../../web/actor.js';
import { AccountParams, Answer, ok } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';
import { DeployTargetRecord, deployTargetRecord } from './deploy-target-presenter.js';

const TargetParams = AccountParams.extend({ dt: z.string().min(1).max(64) });

export function registerDeploymentRoutes(
  root: FastifyInstance,
  services: Pick<Services, 'deployments' | 'deployTargets'>,
): void {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.post(
    '/admin/:acc/deploy-targets/:dt/deploy',
    {
      config: { permission: 'deploy' },
      schema: {
        tags: ['deploy targets'],
        params: TargetParams,
        response: { 200: Answer(DeployTargetRecord) },
      },
    },
    async (request) => {
      const { acc, dt } = request.params;
      await services.deployments.deploy(acc, dt, auditActor(request));
      return ok(deployTargetRecord(await services.deployTargets.get(acc, dt)));
    },
  );
}
