/** Settings > Deploy Targets: everyone may list them; only Account Admins create, edit or delete. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { DEPLOY_MODES, DEPLOY_TARGET_KINDS, VISITOR_STORAGES } from '../../targets/deploy-targets.js';
import { auditActor } from '../../web/actor.js';
import { AccountParams, Answer, bodyFields, Name, ok } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';
import { DeployTargetRecord, deployTargetRecord } from './deploy-target-presenter.js';

const TargetParams = AccountParams.extend({ dt: z.string().min(1).max(64) });
// Its form (a domain name) is checked by the deploy targets service, which the console shares.
const CookieDomain = z.string().max(253).nullable().optional();

export function registerDeployTargetRoutes(
  root: FastifyInstance,
  services: Pick<Services, 'deployTargets'>,
): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const tags = ['deploy targets'];
  const one = { 200: Answer(DeployTargetRecord) };

  app.get(
    '/admin/:acc/deploy-targets',
    {
      config: { permission: 'read' },
      schema: { tags, params: AccountParams, response: { 200: Answer(z.array(DeployTargetRecord)) } },
    },
    async (request) => {
      return ok((await services.deployTargets.list(request.params.acc)).map(deployTargetRecord));
    },
  );

  app.get(
    '/admin/:acc/deploy-targets/:dt',
    { config: { permission: 'read' }, schema: { tags, params: TargetParams, response: one } },
    async (request) => {
      return ok(deployTargetRecord(await services.deployTargets.get(request.params.acc, request.params.dt)));
    },
  );

  app.post(
    '/admin/:acc/deploy-targets',
    {
      config: { permission: 'manage' },
      schema: {
        tags,
        params: AccountParams,
        body: z.object({
          name: Name,
          kind: z.enum(DEPLOY_TARGET_KINDS),
          deployMode: z.enum(DEPLOY_MODES).default('automatic'),
          honourPrivacySignals: z.boolean().optional(),
          visitorStorage: z.enum(VISITOR_STORAGES).optional(),
          cookieDomain: CookieDomain,
        }),
        response: { 201: Answer(DeployTargetRecord, 201) },
      },
    },
    async (request, reply) => {
      const target = await bodyFields(
        services.deployTargets.create(request.params.acc, request.body, auditActor(request)),
      );
      return reply.code(201).send({ status: 201, data: deployTargetRecord(target) });
    },
  );

  app.patch(
    '/admin/:acc/deploy-targets/:dt',
    {
      config: { permission: 'manage' },
      schema: {
        tags,
        params: TargetParams,
        body: z.object({
          name: Name.optional(),
          deployMode: z.enum(DEPLOY_MODES).optional(),
          kind: z.enum(DEPLOY_TARGET_KINDS).optional(),
          honourPrivacySignals: z.boolean().optional(),
          visitorStorage: z.enum(VISITOR_STORAGES).optional(),
          cookieDomain: CookieDomain,
        }),
        response: one,
      },
    },
    async (request) => {
      return ok(
        deployTargetRecord(
          await bodyFields(
            services.deployTargets.update(
              request.params.acc,
              request.params.dt,
              request.body,
              auditActor(request),
            ),
          ),
        ),
      );
    },
  );

  app.delete(
    '/admin/:acc/deploy-targets/:dt',
    { config: { permission: 'manage' }, schema: { tags, params: TargetParams, response: one } },
    async (request) => {
      return ok(
        deployTargetRecord(
          await services.deployTargets.remove(request.params.acc, request.params.dt, auditActor(request)),
        ),
      );
    },
  );
}
