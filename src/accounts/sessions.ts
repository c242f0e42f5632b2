/**
 * Sign-in sessions: an opaque random cookie whose SHA-256 is stored, so any server sharing the
 * database can check it, and signing out or removing a person takes effect on the next request
 * (each check reads the session and the person's memberships from the store; console traffic is
 * small, and this keeps removal instant without a cache to invalidate).
 */
import { hash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import type { Role } from '../access/permissions.js';
import type { SignedInUser } from '../access/principal.js';
import type { Database } from '../store/schema.js';

export const SESSION_COOKIE = 'tessera_session';
export const SESSION_LIFETIME_MS = 12 * 60 * 60 * 1000;

const tokenHash = (token: string) => hash('sha256', token, 'base64url');

export interface SessionService {
  start(userId: string): Promise<{ token: string; csrfToken: string; expiresAt: number }>;
  /** The signed-in person behind a cookie value, or undefined when unknown or expired. */
  resolve(token: string): Promise<SignedInUser | undefined>;
  end(sessionHash: string): Promise<void>;
}

/** `now`: the clock that decides when a sign-in session has expired. */
export function createSessionService(db: Kysely<Database>, now: () => number = Date.now): SessionService {
  return {
    async start(userId) {
      const token = randomBytes(32).toString('base64url');
      const csrfToken = randomBytes(24).toString('base64url');
      const startedAt = now();
      const expiresAt = startedAt + SESSION_LIFETIME_MS;
      await db
        .insertInto('login_sessions')
        .values({
          token_hash: tokenHash(token),
          user_id: userId,
          csrf_token: csrfToken,
          created_at: startedAt,
          expires_at: expiresAt,
        })
        .execute();
      // Expired sessions of this person are swept on sign-in, so the table does not grow unbounded.
      await db
        .deleteFrom('login_sessions')
        .where('user_id', '=', userId)
        .where('expires_at', '<', startedAt)
        .execute();
      return { token, csrfToken, expiresAt };
    },
    async resolve(token) {
      if (token.length === 0 || token.length > 200) return undefined;
      const sessionHash = tokenHash(token);
      const row = await db
        .selectFrom('login_sessions')
        .innerJoin('users', 'users.id', 'login_sessions.user_id')
        .select(['users.id', 'users.email', 'login_sessions.csrf_token', 'login_sessions.expires_at'])
        .where('login_sessions.token_hash', '=', sessionHash)
        .executeTakeFirst();
      if (!row || row.expires_at <= now()) return undefined;
      const memberships = await db
        .selectFrom('memberships')
        .select(['account_id', 'role'])
        .where('user_id', '=', row.id)
        .execute();
      return {
        id: row.id,
        email: row.email,
        roles: new Map(memberships.map((m) => [m.account_id, m.role as Role])),
        csrfToken: row.csrf_token,
        sessionHash,
      };
    },
    async end(sessionHash) {
      await db.deleteFrom('login_sessions').where('token_hash', '=', sessionHash).execute();
    },
  };
}
