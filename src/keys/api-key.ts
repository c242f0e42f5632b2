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
}

/** Which deploy-target kind a key kind can be associated with (admin keys: none). */
export function targetKindFor(kind: KeyKind): 'rest' | 'js' | null {
  if (kind === 'rest') return 'rest';
  if (kind === 'js') return 'js';
  return null;
}
