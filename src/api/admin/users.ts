/** Settings > Users: Account Admins add people, change their role, and remove them. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../access/permissions.js';
import { EmailAddress } from '../../accounts/users.js';
import { auditActor } from '../../web/actor.js';
import { AccountParams, Answer, bodyFields, ok } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';
import { UserRecord, userRecord } from './user-presenter.js';

const UserParams = AccountParams.extend({ id: z.string().min(1).max(64) });

export function registerUserRoutes(root: FastifyInstance, services: Pick<Services, 'users'>): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const config = { permission: 'manage' } as const;
  const tags = ['people'];
  const one = { 200: Answer(UserRecord) };

  app.get(
    '/admin/:acc/users',
    { config, schema: { tags, params: AccountParams, response: { 200: Answer(z.array(UserRecord)) } } },
    async (request) => {
      return ok((await services.users.listMembers(request.params.acc)).map(userRecord));
    },
  );

  app.post(
    '/admin/:acc/users',
    {
      config,
      schema: {
        tags,
        params: AccountParams,
        body: z.object({
          email: EmailAddress,
          password: z.string().max(1024).optional(),
          role: z.enum(ROLES),
        }),
        response: { 201: Answer(UserRecord, 201) },
      },
    },
    async (request, reply) => {
      const member = await bodyFields(
        services.users.addMember(request.params.acc, request.body, auditActor(request)),
      );
      return reply.code(201).send({ status: 201, data: userRecord(member) });
    },
  );

  app.patch(
    '/admin/:acc/users/:id',
    { config, schema: { tags, params: UserParams, body: z.object({ role: z.enum(ROLES) }), response: one } },
    async (request) => {
      return ok(
        userRecord(
          await services.users.changeRole(
            request.params.acc,
            request.params.id,
            request.body.role,
            auditActor(request),
          ),
        ),
      );
    },
  );

  app.delete(
    '/admin/:acc/users/:id',
    { config, schema: { tags, params: UserParams, response: one } },
    async (request) => {
      return ok(
        userRecord(
          await services.users.removeMember(request.params.acc, request.params.id, auditActor(request)),
        ),
      );
    },
  );
}
