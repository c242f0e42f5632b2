/**
 * Introspection: any API key can ask what it is, so a person debugging a 403 can see why: its
 * kind, account, name, deploy targets, expiry, rate limit and rotation state (which secret was
 * presented, whether it is the current one or a rolled key's previous one and until when it
 * works). Never a secret. Introspection is not counted as a use of the key, nor rate limited.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { NotFoundError } from '../../kernel/errors.js';
import { firstSecret } from '../../keys/api-key.js';
import { sendError } from '../../web/errors.js';
import { Answer, ok } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';
import { KeySelfRecord, keySelfRecord } from './key-self-presenter.js';

export function registerKeySelfRoutes(
  root: FastifyInstance,
  services: Pick<Services, 'accounts' | 'keys' | 'now'>,
): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/v3/keys/self',
    {
      config: { permission: 'key-self' },
      schema: { tags: ['api keys'], response: { 200: Answer(KeySelfRecord) } },
    },
    async (request, reply) => {
      if (request.principal.type !== 'key') throw new Error('key-self route reached without a key');
      const { key, secret = firstSecret(key) } = request.principal;
      const [account, details] = await Promise.all([
        services.accounts.get(key.accountId),
        // Deleted between the check and this read (on another server, its notification still on
        // the way): the key is refused as it will be on the next request, never "not found".
        services.keys.getKey(key.accountId, key.id).catch((error: unknown) => {
          if (error instanceof NotFoundError) return null;
          throw error;
        }),
      ]);
      if (details === null) {
        reply.header('cache-control', 'no-store');
        return sendError(reply, 403, 'key_deleted', 'The API key has been deleted');
      }
      return ok(keySelfRecord(key, secret, account?.name ?? null, details, services.now()));
    },
  );
}
