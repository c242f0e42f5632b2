/**
 * A key's record as the key routes answer it (spec 3.4): its settings, its rotation state, its
 * rate limit and its usage, never a secret (the create and roll routes add `secret` themselves).
 * The rotation state is also what a key sees of itself (`GET /v3/keys/self`).
 */
import { z } from 'zod';
import { type KeyDetails, secretsInGrace } from '../../keys/api-key.js';
import type { KeyUsage, UsageWindows } from '../../keys/key-usage.js';
import { KEY_KINDS } from '../../keys/token.js';
import { IsoTime, iso, NullableIsoTime } from '../../web/schemas.js';

const Windows = { lastHour: z.number(), lastDay: z.number(), last30Days: z.number() };

export const RateLimitRecord = z
  .object({ perSecond: z.number() })
  .nullable()
  .describe('requests per second the key may make; null: no limit');

export const RotationRecord = z.object({
  generation: z.number().describe("the current secret's generation: 1, then +1 per roll"),
  rolledAt: NullableIsoTime,
  graceEndsAt: NullableIsoTime.describe('until when previous secrets still work; null: none does'),
  previousSecrets: z.array(
    z.object({ generation: z.number(), masked: z.string(), validUntil: NullableIsoTime }),
  ),
});

export const KeyRecord = z.object({
  id: z.string(),
  kind: z.enum(KEY_KINDS),
  name: z.string(),
  deployTargets: z.array(z.string()).describe('empty: every deploy target of the kind'),
  createdAt: IsoTime,
  createdBy: z.string(),
  masked: z.string(),
  expiresAt: NullableIsoTime,
  rateLimit: RateLimitRecord,
  token: z.string().nullable().optional().describe('JS keys only: the public token'),
  allowedOrigins: z.array(z.string()).optional().describe('JS keys only: empty means any origin'),
  rotation: RotationRecord,
  lastUsedAt: NullableIsoTime,
  lastUsed: z
    .object({
      at: IsoTime,
      deployTarget: z.string().nullable(),
      clientAddress: z.string().nullable(),
      userAgent: z.string().nullable(),
      secretGeneration: z.number(),
    })
    .nullable(),
  usage: z.object({
    requests: z.object(Windows),
    byDeployTarget: z.array(z.object({ deployTarget: z.string().nullable(), ...Windows })),
    bySecret: z.array(
      z.object({
        generation: z.number(),
        current: z.boolean(),
        masked: z.string(),
        validUntil: NullableIsoTime,
        lastUsedAt: NullableIsoTime,
        ...Windows,
      }),
    ),
    refused: z.array(z.object({ reason: z.string(), ...Windows })),
  }),
});

/** The record with the secret, shown once (create, roll). */
export const KeyRecordWithSecret = KeyRecord.extend({ secret: z.string() });

/** The record of a deleted key. */
export const DeletedKeyRecord = KeyRecord.extend({ deletedAt: NullableIsoTime });

const ZERO: UsageWindows = { lastHour: 0, lastDay: 0, last30Days: 0 };
const windows = ({ lastHour, lastDay, last30Days }: UsageWindows) => ({ lastHour, lastDay, last30Days });

/** The key's secrets: the current one, those in their grace period, and any used in 30 days. */
function secretUsage(key: KeyDetails, usage: KeyUsage | undefined, now: number) {
  const used = new Map((usage?.bySecret ?? []).map((s) => [s.generation, s]));
  const current = key.secrets[0]?.generation ?? 1;
  return key.secrets
    .filter(
      (s) =>
        s.generation === current || (s.validUntil !== null && s.validUntil > now) || used.has(s.generation),
    )
    .map((s) => {
      const figures = used.get(s.generation);
      return {
        generation: s.generation,
        current: s.generation === current,
        masked: s.masked,
        validUntil: iso(s.validUntil),
        lastUsedAt: iso(figures?.lastUsedAt ?? null),
        ...windows(figures ?? ZERO),
      };
    });
}

/** Whether the key was rolled and which previous secrets still work (until when). */
export function rotationState(key: KeyDetails, now: number): z.input<typeof RotationRecord> {
  const [current] = key.secrets;
  const inGrace = secretsInGrace(key.secrets, now);
  const graceEndsAt = inGrace.reduce<number | null>((end, s) => Math.max(end ?? 0, s.validUntil ?? 0), null);
  return {
    generation: current?.generation ?? 1,
    rolledAt: current && current.generation > 1 ? iso(current.issuedAt) : null,
    graceEndsAt: iso(graceEndsAt),
    previousSecrets: inGrace.map((s) => ({
      generation: s.generation,
      masked: s.masked,
      validUntil: iso(s.validUntil),
    })),
  };
}

export function keyRecord(
  key: KeyDetails,
  usage: KeyUsage | undefined,
  now: number,
): z.input<typeof KeyRecord> {
  const lastUse = usage?.lastUse ?? null;
  return {
    id: key.id,
    kind: key.kind,
    name: key.name,
    deployTargets: key.deployTargets,
    createdAt: iso(key.createdAt),
    createdBy: key.createdBy,
    masked: key.masked,
    expiresAt: iso(key.expiresAt),
    rateLimit: key.rateLimit ?? null,
    ...(key.kind === 'js' ? { token: key.publicToken, allowedOrigins: key.allowedOrigins } : {}),
    rotation: rotationState(key, now),
    lastUsedAt: iso(lastUse?.at ?? null),
    lastUsed: lastUse && {
      at: iso(lastUse.at),
      deployTarget: lastUse.deployTargetId,
      clientAddress: lastUse.clientAddress,
      userAgent: lastUse.userAgent,
      secretGeneration: lastUse.generation,
    },
    usage: {
      requests: windows(usage?.requests ?? ZERO),
      byDeployTarget: (usage?.byDeployTarget ?? []).map((t) => ({
        deployTarget: t.deployTargetId,
        ...windows(t),
      })),
      bySecret: secretUsage(key, usage, now),
      refused: (usage?.refused ?? []).map((r) => ({ reason: r.reason, ...windows(r) })),
    },
  };
}
