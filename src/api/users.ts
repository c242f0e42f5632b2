/** Settings > Users: Account Admins add people, change their role, and remove them. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../access/permissions.js';
import { EmailAddress, type Member } from '../accounts/users.js';
import { auditActor } from '../web/actor.js';
import { AccountParams, bodyFields, iso, ok } from '../web/schemas.js';
import type { Services } from '../web/services.js';

const UserParams = AccountParams.extend({ id: z.string().min(1).max(64) });

const userRecord = (m: Member) => ({ id: m.id, email: m.email, role: m.role, createdAt: iso(m.createdAt) });

export function registerUserRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const config = { permission: 'manage' } as const;
  const tags = ['people'];

  app.get('/admin/:acc/users', { config, schema: { tags, params: AccountParams } }, async (request) => {
    return ok((await services.users.listMembers(request.params.acc)).map(userRecord));
  });

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
    { config, schema: { tags, params: UserParams, body: z.object({ role: z.enum(ROLES) }) } },
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

  app.delete('/admin/:acc/users/:id', { config, schema: { tags, params: UserParams } }, async (request) => {
    return ok(
      userRecord(
        await services.users.removeMember(request.params.acc, request.params.id, auditActor(request)),
      ),
    );
  });
}
