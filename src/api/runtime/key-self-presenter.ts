/** What a key sees of itself (`GET /v3/keys/self`): never a secret, only its masked form. */
import { z } from 'zod';
import type { ApiKey, KeyDetails, KeySecret } from '../../keys/api-key.js';
import { KEY_KINDS } from '../../keys/token.js';
import { IsoTime, iso, NullableIsoTime } from '../../web/schemas.js';
import { RateLimitRecord, RotationRecord, rotationState } from '../admin/api-key-presenter.js';

export const KeySelfRecord = z.object({
  id: z.string(),
  kind: z.enum(KEY_KINDS),
  account: z.string(),
  accountName: z.string().nullable(),
  name: z.string(),
  masked: z.string(),
  deployTargets: z.array(z.string()).describe('empty: every deploy target of the kind'),
  expiresAt: NullableIsoTime,
  createdAt: IsoTime,
  rateLimit: RateLimitRecord,
  allowedOrigins: z.array(z.string()).optional().describe('JS keys only: empty means any origin'),
  rotation: RotationRecord.extend({
    presentedSecret: z
      .object({
        generation: z.number(),
        current: z.boolean(),
        masked: z.string(),
        issuedAt: IsoTime,
        validUntil: NullableIsoTime,
      })
      .describe('the secret this request presented'),
  }),
});

export function keySelfRecord(
  /** the key as the request's credential found it */
  key: ApiKey,
  /** the secret presented */
  secret: KeySecret,
  accountName: string | null,
  /** the key with all its secrets, for its rotation state */
  details: KeyDetails,
  now: number,
): z.input<typeof KeySelfRecord> {
  const rotation = rotationState(details, now);
  return {
    id: key.id,
    kind: key.kind,
    account: key.accountId,
    accountName,
    name: key.name,
    masked: key.masked,
    deployTargets: key.deployTargets,
    expiresAt: iso(key.expiresAt),
    createdAt: iso(key.createdAt),
    rateLimit: key.rateLimit ?? null,
    ...(key.kind === 'js' ? { allowedOrigins: key.allowedOrigins } : {}),
    rotation: {
      ...rotation,
      presentedSecret: {
        generation: secret.generation,
        current: secret.generation === rotation.generation,
        masked: secret.masked,
        issuedAt: iso(secret.issuedAt),
        validUntil: iso(secret.validUntil),
      },
    },
  };
}
