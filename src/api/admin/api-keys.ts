/**
 * Settings > API Keys over JSON: signed-in Account Admins create, list, edit, roll and delete keys.
 * No API key can manage keys (permission `manage`). The secret is in the create and roll answers
 * only, except for JS / On-Device keys, which are public by nature and listed with their token and
 * their allowed origins (the pages that may send browser events with them; empty = any).
 *
 * Every key record carries its usage (`lastUsedAt`, `lastUsed`, `usage`: requests per deploy
 * target and per secret over the last hour, day and 30 days, refused requests by reason), its
 * rotation state and its rate limit.
 *
 * Decisions:
 * - `GET …/api-keys?expiringWithin=7d` lists only keys whose expiry is at most that far ahead
 *   (already expired ones included): `s`, `m`, `h` or `d`.
 * - `DELETE …/api-keys/{id}` of a key used in the last 24 hours needs `?confirm=<the key's name>`:
 *   without it 409 `confirmation_required`; a `confirm` that does not match the name is 400 naming
 *   `querystring.confirm`, whether or not the key was used.
 * - `POST …/roll {"graceSeconds": N}` (0 to 30 days) answers 200 with the new `secret`, once;
 *   `POST …/roll/end` ends the grace now, 409 `no_grace_period` when no previous secret is valid.
 */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ConflictError, InvalidInputError } from '../../kernel/errors.js';
import type { KeyDetails } from '../../keys/api-key.js';
import { MAX_GRACE_SECONDS, MAX_RATE_PER_SECOND } from '../../keys/key-service.js';
import { MAX_ALLOWED_ORIGINS } from '../../keys/origins.js';
import { KEY_KINDS } from '../../keys/token.js';
import { auditActor } from '../../web/actor.js';
import { AccountParams, Answer, bodyFields, iso, Name, ok, Timestamp } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';
import { DeletedKeyRecord, KeyRecord, KeyRecordWithSecret, keyRecord } from './api-key-presenter.js';

const KeyParams = AccountParams.extend({ id: z.string().min(1).max(64) });
const DeployTargetIds = z.array(z.string().min(1).max(64)).max(100);
/** JS keys: origins like https://www.example.com; the key service checks and normalizes them */
const AllowedOrigins = z.array(z.string().min(1).max(300)).max(MAX_ALLOWED_ORIGINS).nullable();
const RateLimitBody = z
  .object({ perSecond: z.number().int().min(1).max(MAX_RATE_PER_SECOND) })
  .nullable()
  .describe('requests per second the key may make (over it: 429 with Retry-After); null: no limit');

const CreateKeyBody = z.object({
  kind: z.enum(KEY_KINDS),
  name: Name,
  deployTargets: DeployTargetIds.optional(),
  expiresAt: Timestamp.nullable().optional(),
  allowedOrigins: AllowedOrigins.optional(),
  rateLimit: RateLimitBody.optional(),
});

const UpdateKeyBody = z.object({
  /** accepted when unchanged, so a record read back can be sent again; a change is refused */
  kind: z.enum(KEY_KINDS).optional(),
  secret: z
    .undefined({ error: "a key's secret never changes by editing: roll the key (POST …/roll) for a new one" })
    .optional(),
  name: Name.optional(),
  deployTargets: DeployTargetIds.optional(),
  expiresAt: Timestamp.nullable().optional(),
  allowedOrigins: AllowedOrigins.optional(),
  rateLimit: RateLimitBody.optional(),
});

const DURATION_UNITS = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const Duration = z
  .string()
  .regex(/^\d{1,6}[smhd]$/, 'a duration like 7d, 24h, 30m or 3600s')
  .transform(
    (text) => Number(text.slice(0, -1)) * DURATION_UNITS[text.at(-1) as keyof typeof DURATION_UNITS],
  );

const ListQuery = z.object({ expiringWithin: Duration.optional() });
const DeleteQuery = z.object({
  confirm: z
    .string()
    .max(200)
    .optional()
    .describe("the key's name: needed when it was used in the last 24 hours"),
});
const RollBody = z.object({
  graceSeconds: z
    .number()
    .int()
    .min(0)
    .max(MAX_GRACE_SECONDS)
    .describe('how long the previous secret keeps working: 0 (it stops now) to 30 days'),
});

export function registerApiKeyRoutes(
  root: FastifyInstance,
  services: Pick<Services, 'keys' | 'keyUsage' | 'now'>,
): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const config = { permission: 'manage' } as const;
  const tags = ['api keys'];

  async function records(keys: KeyDetails[]) {
    const usage = await services.keyUsage.usageOf(keys.map((k) => k.id));
    const now = services.now();
    return keys.map((key) => keyRecord(key, usage.get(key.id), now));
  }
  const record = async (key: KeyDetails) => (await records([key]))[0];

  app.get(
    '/admin/:acc/api-keys',
    {
      config,
      schema: {
        tags,
        params: AccountParams,
        querystring: ListQuery,
        response: { 200: Answer(z.array(KeyRecord)) },
      },
    },
    async (request) => {
      const keys = await services.keys.listKeys(request.params.acc, {
        expiringWithin: request.query.expiringWithin,
      });
      return ok(await records(keys));
    },
  );

  app.post(
    '/admin/:acc/api-keys',
    {
      config,
      schema: {
        tags,
        params: AccountParams,
        body: CreateKeyBody,
        response: { 201: Answer(KeyRecordWithSecret, 201) },
      },
    },
    async (request, reply) => {
      const { key, secret } = await bodyFields(
        services.keys.createKey(request.params.acc, request.body, auditActor(request)),
      );
      reply.header('cache-control', 'no-store');
      return reply
        .code(201)
        .send({ status: 201, data: { ...keyRecord(key, undefined, services.now()), secret } });
    },
  );

  const one = { 200: Answer(KeyRecord) };

  app.get(
    '/admin/:acc/api-keys/:id',
    { config, schema: { tags, params: KeyParams, response: one } },
    async (request) => {
      return ok(await record(await services.keys.getKey(request.params.acc, request.params.id)));
    },
  );

  app.patch(
    '/admin/:acc/api-keys/:id',
    { config, schema: { tags, params: KeyParams, body: UpdateKeyBody, response: one } },
    async (request) => {
      const key = await bodyFields(
        services.keys.updateKey(request.params.acc, request.params.id, request.body, auditActor(request)),
      );
      return ok(await record(key));
    },
  );

  app.post(
    '/admin/:acc/api-keys/:id/roll',
    {
      config,
      schema: {
        tags,
        params: KeyParams,
        body: RollBody,
        response: { 200: Answer(KeyRecordWithSecret) },
        description:
          'A new secret for the same key (name, kind, deploy targets), in `secret`, shown once. The previous secret keeps working for `graceSeconds`, then answers 403 key_expired.',
      },
    },
    async (request, reply) => {
      const { key, secret } = await bodyFields(
        services.keys.rollKey(
          request.params.acc,
          request.params.id,
          request.body.graceSeconds,
          auditActor(request),
        ),
      );
      reply.header('cache-control', 'no-store');
      return ok({ ...(await record(key)), secret });
    },
  );

  app.post(
    '/admin/:acc/api-keys/:id/roll/end',
    {
      config,
      schema: {
        tags,
        params: KeyParams,
        response: one,
        description: "Ends a rolled key's grace period now: its previous secrets answer 403 key_expired.",
      },
    },
    async (request) => {
      return ok(
        await record(
          await services.keys.endGrace(request.params.acc, request.params.id, auditActor(request)),
        ),
      );
    },
  );

  app.delete(
    '/admin/:acc/api-keys/:id',
    {
      config,
      schema: {
        tags,
        params: KeyParams,
        querystring: DeleteQuery,
        response: { 200: Answer(DeletedKeyRecord) },
      },
    },
    async (request) => {
      const { acc, id } = request.params;
      const usage = (await services.keyUsage.usageOf([id])).get(id);
      try {
        const key = await services.keys.deleteKey(acc, id, auditActor(request), {
          confirmName: request.query.confirm,
        });
        return ok({ ...keyRecord(key, usage, services.now()), deletedAt: iso(key.deletedAt) });
      } catch (error) {
        if (error instanceof InvalidInputError) {
          throw new InvalidInputError(`querystring.${error.field}`, error.message);
        }
        if (error instanceof ConflictError && error.code === 'confirmation_required') {
          throw new ConflictError(error.code, `${error.message}: send ?confirm= with the key's name`);
        }
        throw error;
      }
    },
  );
}
