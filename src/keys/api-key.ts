import type { KeyKind } from './token.js';

/** An API key as the rest of the product sees it. The secret itself is never part of it. */
export interface ApiKey {
  id: string;
  accountId: string;
  kind: KeyKind;
  name: string;
  masked: string;
  /** associated deploy targets; empty means every target of the key's kind */
  deployTargets: string[];
  createdAt: number;
  createdBy: string;
  expiresAt: number | null;
  deletedAt: number | null;
  /** JS / On-Device keys only: they are published in script tags, so may be shown again */
  publicToken: string | null;
  /** JS keys: web origins whose pages may send browser events with the key; empty means any */
  allowedOrigins: string[];
  /** requests per second the key may make; absent or null: no limit */
  rateLimit?: RateLimit | null;
}

export interface RateLimit {
  perSecond: number;
}

/**
 * One secret of a key. A key's first secret is generation 1; rolling issues the next and gives the
 * previous ones an end (`validUntil`, the end of the grace period). Every secret ever issued stays
 * recognised: after its end it answers `key_expired`, and once the key is deleted `key_deleted`.
 */
export interface KeySecret {
  generation: number;
  masked: string;
  issuedAt: number;
  /** null for the key's current secret */
  validUntil: number | null;
}

/** A key with every secret issued for it, newest first: what people see of a key. */
export interface KeyDetails extends ApiKey {
  secrets: KeySecret[];
}

/** The secret a key record stands for when a store tells no more (the key's only secret). */
export function firstSecret(key: ApiKey): KeySecret {
  return { generation: 1, masked: key.masked, issuedAt: key.createdAt, validUntil: null };
}

/** The secrets still accepted at `now` other than the current one (a rolled key in its grace). */
export function secretsInGrace(secrets: readonly KeySecret[], now: number): KeySecret[] {
  return secrets.filter((s) => s.validUntil !== null && s.validUntil > now);
}

/** Which deploy-target kind a key kind can be associated with (admin keys: none). */
export function targetKindFor(kind: KeyKind): 'rest' | 'js' | null {
  if (kind === 'rest') return 'rest';
  if (kind === 'js') return 'js';
  return null;
}
