/** Introspection: any API key can ask what it is, so a person debugging a 403 can see why. */
import type { FastifyInstance } from 'fastify';
import type { Services } from '../../services.js';
import { iso, ok } from '../schemas.js';

export function registerKeySelfRoutes(app: FastifyInstance, services: Services): void {
  app.get(
    '/v3/keys/self',
    { config: { permission: 'key-self' }, schema: { tags: ['api keys'] } },
    async (request) => {
      if (request.principal.type !== 'key') throw new Error('key-self route reached without a key');
      const { key } = request.principal;
      const account = await services.accounts.get(key.accountId);
      return ok({
        id: key.id,
        kind: key.kind,
        account: key.accountId,
        accountName: account?.name ?? null,
        name: key.name,
        masked: key.masked,
        deployTargets: key.deployTargets,
        expiresAt: iso(key.expiresAt),
        createdAt: iso(key.createdAt),
      });
    },
  );
}
