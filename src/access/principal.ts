import type { ApiKey, KeySecret } from '../keys/api-key.js';
import type { KeyRefusal } from '../keys/key-verifier.js';
import type { Role } from './permissions.js';

/** Who is making a request, as far as the presented credential tells. */
export type Principal =
  | { type: 'anonymous' }
  /** an API key was presented but is not valid */
  /** an API key was presented but is not valid; a deleted or expired one is named, for its usage */
  | { type: 'refused-key'; code: KeyRefusal; keyId?: string; generation?: number }
  /** `secret`: which of the key's secrets was presented (a rolled key has several) */
  | { type: 'key'; key: ApiKey; secretHash: string; secret?: KeySecret }
  /** a session cookie was presented but is unknown or expired */
  | { type: 'expired-session' }
  | { type: 'user'; user: SignedInUser };

export interface SignedInUser {
  id: string;
  email: string;
  /** role per account code */
  roles: Map<string, Role>;
  csrfToken: string;
  sessionHash: string;
}

/** How a principal appears as the actor of a change (`createdBy`, the audit log). */
export function actorOf(principal: Principal): string {
  if (principal.type === 'user') return principal.user.email;
  if (principal.type === 'key') return `key:${principal.key.id}`;
  return 'anonymous';
}
