/**
 * Settings > API Keys over JSON: signed-in Account Admins create, list, edit and delete keys.
 * No API key can manage keys (permission `manage`). The secret is in the create answer only,
 * except for JS / On-Device keys, which are public by nature and listed with their token and
 * their allowed origins (the pages that may send browser events with them; empty = any).
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { actorOf } from '../../access/principal.js';
import type { ApiKey } from '../../keys/api-key.js';
import { MAX_ALLOWED_ORIGINS } from '../../keys/origins.js';
import { KEY_KINDS } from '../../keys/token.js';
import type { Services } from '../../services.js';
import { AccountParams, bodyFields, iso, Name, ok, Timestamp } from '../schemas.js';

const KeyParams = AccountParams.extend({ id: z.string().min(1).max(64) });
const DeployTargetIds = z.array(z.string().min(1).max(64)).max(100);
/** JS keys: origins like https://www.example.com; the key service checks and normalizes them */
const AllowedOrigins = z.array(z.string().min(1).max(300)).max(MAX_ALLOWED_ORIGINS).nullable();

const CreateKeyBody = z.object({
  kind: z.enum(KEY_KINDS),
  name: Name,
  deployTargets: DeployTargetIds.optional(),
  expiresAt: Timestamp.nullable().optional(),
  allowedOrigins: AllowedOrigins.optional(),
});

const UpdateKeyBody = z.object({
  name: Name.optional(),
  deployTargets: DeployTargetIds.optional(),
  expiresAt: Timestamp.nullable().optional(),
  allowedOrigins: AllowedOrigins.optional(),
});

export function keyRecord(key: ApiKey) {
  return {
    id: key.id,
    kind: key.kind,
    name: key.name,
    deployTargets: key.deployTargets,
    createdAt: iso(key.createdAt),
    createdBy: key.createdBy,
    masked: key.masked,
    expiresAt: iso(key.expiresAt),
    ...(key.kind === 'js' ? { token: key.publicToken, allowedOrigins: key.allowedOrigins } : {}),
  };
}

export function registerApiKeyRoutes(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const config = { permission: 'manage' } as const;
  const tags = ['api keys'];

  app.get('/admin/:acc/api-keys', { config, schema: { tags, params: AccountParams } }, async (request) => {
    const keys = await services.keys.listKeys(request.params.acc);
    return ok(keys.map(keyRecord));
  });

  app.post(
    '/admin/:acc/api-keys',
    { config, schema: { tags, params: AccountParams, body: CreateKeyBody } },
    async (request, reply) => {
      const { key, secret } = await bodyFields(
        services.keys.createKey(request.params.acc, request.body, actorOf(request.principal)),
      );
      reply.header('cache-control', 'no-store');
      return reply.code(201).send({ status: 201, data: { ...keyRecord(key), secret } });
    },
  );

  app.get('/admin/:acc/api-keys/:id', { config, schema: { tags, params: KeyParams } }, async (request) => {
    return ok(keyRecord(await services.keys.getKey(request.params.acc, request.params.id)));
  });

  app.patch(
    '/admin/:acc/api-keys/:id',
    { config, schema: { tags, params: KeyParams, body: UpdateKeyBody } },
    async (request) => {
      return ok(
        keyRecord(
          await bodyFields(services.keys.updateKey(request.params.acc, request.params.id, request.body)),
        ),
      );
    },
  );

  app.delete('/admin/:acc/api-keys/:id', { config, schema: { tags, params: KeyParams } }, async (request) => {
    const key = await services.keys.revokeKey(
      request.params.acc,
      request.params.id,
      actorOf(request.principal),
    );
    return ok({ ...keyRecord(key), deletedAt: iso(key.deletedAt) });
  });
}
