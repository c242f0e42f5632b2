/**
 * People and their one role per account. A person is identified by email across accounts; adding
 * an existing person to another account gives them a membership there.
 *
 * Membership changes announce a `user` change from inside their transaction. No server caches
 * memberships or sign-in sessions today (sessions.ts reads both on every request), so a removal
 * or a role change holds on every server at the next request; the announcement is there for any
 * cache that comes to depend on them.
 */

import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { Role } from '../access/permissions.js';
import type { ActorLike, AuditRecorder } from '../audit/audit-log.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../kernel/errors.js';
import { newUserId } from '../kernel/ids.js';
import type { ChangeFeed } from '../store/changes.js';
import type { Database } from '../store/schema.js';
import { hashPassword, MIN_PASSWORD_LENGTH } from './passwords.js';

export interface Member {
  id: string;
  email: string;
  role: Role;
  createdAt: number;
}

export interface UserService {
  count(): Promise<number>;
  findByEmail(email: string): Promise<{ id: string; email: string; passwordHash: string | null } | undefined>;
  listMembers(accountId: string): Promise<Member[]>;
  /** `by`: who makes the change, for the audit log (written in the change's transaction) */
  addMember(
    accountId: string,
    input: { email: string; password?: string; role: Role },
    by?: ActorLike,
  ): Promise<Member>;
  changeRole(accountId: string, userId: string, role: Role, by?: ActorLike): Promise<Member>;
  removeMember(accountId: string, userId: string, by?: ActorLike): Promise<Member>;
  setPassword(userId: string, password: string): Promise<void>;
}

export function normalizeEmail(email: string): string {
  return email.trim().toLowerCase();
}

export function checkPassword(password: string): void {
  if (password.length < MIN_PASSWORD_LENGTH) {
    throw new InvalidInputError('password', `password must be at least ${MIN_PASSWORD_LENGTH} characters`);
  }
  if (password.trim() === '') throw new InvalidInputError('password', 'password must not be only spaces');
}

/** An email address as every edge takes it (the Admin API, the setup link, the first start). */
export const EmailAddress = z.email().max(254);

/** The Admin API checks emails at its edge; the command line and the first start come here too. */
export function checkEmail(email: string): void {
  if (!EmailAddress.safeParse(email).success) {
    throw new InvalidInputError('email', 'email must be an email address of at most 254 characters');
  }
}

export function createUserService(
  db: Kysely<Database>,
  changes: ChangeFeed,
  audit: AuditRecorder,
): UserService {
  async function getMember(accountId: string, userId: string, executor = db): Promise<Member> {
    const row = await executor
      .selectFrom('memberships')
      .innerJoin('users', 'users.id', 'memberships.user_id')
      .select(['users.id', 'users.email', 'memberships.role', 'memberships.created_at'])
      .where('memberships.account_id', '=', accountId)
      .where('memberships.user_id', '=', userId)
      .executeTakeFirst();
    if (!row) throw new NotFoundError('user_not_found', `No user ${userId} in this account`);
    return { id: row.id, email: row.email, role: row.role as Role, createdAt: row.created_at };
  }

  // The account must keep someone who can manage it.
  async function assertAnotherAdmin(
    executor: Kysely<Database>,
    accountId: string,
    userId: string,
  ): Promise<void> {
    const admins = await executor
      .selectFrom('memberships')
      .select('user_id')
      .where('account_id', '=', accountId)
      .where('role', '=', 'account-admin')
      .execute();
    if (admins.every((admin) => admin.user_id === userId)) {
      throw new ConflictError('last_account_admin', 'An account needs at least one Account Admin');
    }
  }

  /**
   * Changes one membership, refusing to leave the account without an Account Admin. Membership
   * changes of an account are serialized by writing its row first (a row lock on PostgreSQL; SQLite
   * runs one transaction at a time), so two admins demoted at once cannot both pass the check.
   */
  function changeMembership(
    accountId: string,
    userId: string,
    losesAdminRole: boolean,
    apply: (trx: Kysely<Database>) => Promise<unknown>,
    entry: { by: ActorLike | undefined; action: string; after: Role | null },
  ): Promise<Member> {
    return changes.transaction(db, async (trx, publish) => {
      await trx
        .updateTable('accounts')
        .set((eb) => ({ name: eb.ref('name') }))
        .where('id', '=', accountId)
        .execute();
      const member = await getMember(accountId, userId, trx);
      if (member.role === 'account-admin' && losesAdminRole) await assertAnotherAdmin(trx, accountId, userId);
      await apply(trx);
      await audit.record(trx, entry.by, {
        accountId,
        action: entry.action,
        targetType: 'user',
        targetId: userId,
        before: { email: member.email, role: member.role },
        after: entry.after === null ? null : { email: member.email, role: entry.after },
      });
      publish({ type: 'user', userId });
      return member;
    });
  }

  return {
    async count() {
      const row = await db
        .selectFrom('users')
        .select((eb) => eb.fn.countAll<number>().as('n'))
        .executeTakeFirstOrThrow();
      return Number(row.n);
    },
    async findByEmail(email) {
      const row = await db
        .selectFrom('users')
        .selectAll()
        .where('email', '=', normalizeEmail(email))
        .executeTakeFirst();
      return row ? { id: row.id, email: row.email, passwordHash: row.password_hash } : undefined;
    },
    async listMembers(accountId) {
      const rows = await db
        .selectFrom('memberships')
        .innerJoin('users', 'users.id', 'memberships.user_id')
        .select(['users.id', 'users.email', 'memberships.role', 'memberships.created_at'])
        .where('memberships.account_id', '=', accountId)
        .orderBy('memberships.created_at')
        .execute();
      return rows.map((r) => ({ id: r.id, email: r.email, role: r.role as Role, createdAt: r.created_at }));
    },
    async addMember(accountId, input, by) {
      const email = normalizeEmail(input.email);
      checkEmail(email);
      const now = Date.now();
      const existing = await db
        .selectFrom('users')
        .select('id')
        .where('email', '=', email)
        .executeTakeFirst();
      let made: Database['users'] | undefined;
      if (!existing) {
        if (input.password === undefined)
          throw new InvalidInputError('password', 'password is required for a new user');
        checkPassword(input.password);
        // Hashed before the transaction: it is slow, and holds no lock.
        made = { id: newUserId(), email, password_hash: await hashPassword(input.password), created_at: now };
      }
      let userId = existing?.id ?? '';
      await changes.transaction(db, async (trx, publish) => {
        // In the transaction with the membership, so an unknown account leaves no user behind.
        const account = await trx
          .selectFrom('accounts')
          .select('id')
          .where('id', '=', accountId)
          .executeTakeFirst();
        if (!account) throw new NotFoundError('account_not_found', `No account ${accountId}`);
        if (made) {
          // Two admins adding one person at once (to one account or two) make one user: whoever
          // inserts second takes the row the first made.
          await trx
            .insertInto('users')
            .values(made)
            .onConflict((oc) => oc.column('email').doNothing())
            .execute();
          const row = await trx
            .selectFrom('users')
            .select('id')
            .where('email', '=', email)
            .executeTakeFirstOrThrow();
          userId = row.id;
        }
        const added = await trx
          .insertInto('memberships')
          .values({ account_id: accountId, user_id: userId, role: input.role, created_at: now })
          .onConflict((oc) => oc.columns(['account_id', 'user_id']).doNothing())
          .executeTakeFirst();
        // Already a member (now, or since a moment ago by a concurrent request): nothing is written.
        if (Number(added.numInsertedOrUpdatedRows ?? 0) === 0) {
          throw new ConflictError('user_exists', `${email} is already a member of this account`);
        }
        await audit.record(trx, by, {
          accountId,
          action: 'user.create',
          targetType: 'user',
          targetId: userId,
          before: null,
          after: { email, role: input.role },
        });
        publish({ type: 'user', userId });
      });
      return { id: userId, email, role: input.role, createdAt: now };
    },
    async changeRole(accountId, userId, role, by) {
      const member = await changeMembership(
        accountId,
        userId,
        role !== 'account-admin',
        (trx) =>
          trx
            .updateTable('memberships')
            .set({ role })
            .where('account_id', '=', accountId)
            .where('user_id', '=', userId)
            .execute(),
        { by, action: 'user.update', after: role },
      );
      return { ...member, role };
    },
    async removeMember(accountId, userId, by) {
      const member = await changeMembership(
        accountId,
        userId,
        true,
        async (trx) => {
          await trx
            .deleteFrom('memberships')
            .where('account_id', '=', accountId)
            .where('user_id', '=', userId)
            .execute();
          // Removed from their last account, a person is signed out everywhere: a session kept
          // alive would give access back the moment anyone added them again, without signing in.
          const other = await trx
            .selectFrom('memberships')
            .select('account_id')
            .where('user_id', '=', userId)
            .limit(1)
            .executeTakeFirst();
          if (!other) await trx.deleteFrom('login_sessions').where('user_id', '=', userId).execute();
        },
        { by, action: 'user.delete', after: null },
      );
      return member;
    },
    async setPassword(userId, password) {
      checkPassword(password);
      await db
        .updateTable('users')
        .set({ password_hash: await hashPassword(password) })
        .where('id', '=', userId)
        .execute();
    },
  };
}
