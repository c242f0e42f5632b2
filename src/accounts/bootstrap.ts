/**
 * First start: when nobody can sign in yet, create the first account's Account Admin from
 * TESSERA_ADMIN_EMAIL / TESSERA_ADMIN_PASSWORD, or issue a one-time setup link that lets the first
 * person choose their email and password.
 */
import { hash, randomBytes } from 'node:crypto';
import type { Kysely } from 'kysely';
import { ConflictError, InvalidInputError } from '../kernel/errors.js';
import type { Database } from '../store/schema.js';
import type { Account, AccountService } from './accounts.js';
import { checkPassword, type UserService } from './users.js';

const SETUP_LIFETIME_MS = 24 * 60 * 60 * 1000;
const tokenHash = (token: string) => hash('sha256', token, 'base64url');

export type BootstrapResult =
  | { kind: 'ready' }
  | { kind: 'admin-created'; email: string; account: Account }
  | { kind: 'setup-link'; token: string; account: Account };

export interface Bootstrap {
  run(admin: { email?: string; password?: string }): Promise<BootstrapResult>;
  /** Uses a setup token once: creates the first Account Admin. */
  completeSetup(token: string, email: string, password: string): Promise<{ accountId: string }>;
}

export function createBootstrap(
  db: Kysely<Database>,
  accounts: AccountService,
  users: UserService,
  /** the store's named lock: servers starting together on an empty database take turns */
  exclusively: <T>(lock: string, work: () => Promise<T>) => Promise<T>,
  /** the clock that decides when a setup link has expired */
  now: () => number = Date.now,
): Bootstrap {
  async function firstAccount(): Promise<Account> {
    const [existing] = await accounts.list();
    return existing ?? accounts.create('My account');
  }

  async function firstStart(admin: { email?: string; password?: string }): Promise<BootstrapResult> {
    if ((await users.count()) > 0) return { kind: 'ready' };
    const account = await firstAccount();
    if (admin.email && admin.password) {
      const member = await users.addMember(account.id, {
        email: admin.email,
        password: admin.password,
        role: 'account-admin',
      });
      return { kind: 'admin-created', email: member.email, account };
    }
    const token = randomBytes(24).toString('base64url');
    const at = now();
    await db
      .insertInto('setup_tokens')
      .values({
        token_hash: tokenHash(token),
        account_id: account.id,
        created_at: at,
        expires_at: at + SETUP_LIFETIME_MS,
        used_at: null,
      })
      .execute();
    return { kind: 'setup-link', token, account };
  }

  return {
    run(admin) {
      // Under the lock, a second server starting at the same moment finds the first one's admin
      // (and account) instead of making its own.
      return exclusively('first-start', () => firstStart(admin));
    },
    async completeSetup(token, email, password) {
      const at = now();
      const row = await db
        .selectFrom('setup_tokens')
        .selectAll()
        .where('token_hash', '=', tokenHash(token))
        .executeTakeFirst();
      if (!row || row.used_at !== null || row.expires_at <= at) {
        throw new InvalidInputError('token', 'This setup link is not valid (already used or expired)');
      }
      if ((await users.count()) > 0)
        throw new ConflictError('setup_done', 'Setup is already complete; sign in instead');
      // Checked before the link is used up, so a typo does not cost the one-time link.
      checkPassword(password);
      const claimed = await db
        .updateTable('setup_tokens')
        .set({ used_at: at })
        .where('token_hash', '=', row.token_hash)
        .where('used_at', 'is', null)
        .executeTakeFirst();
      if (Number(claimed.numUpdatedRows) === 0)
        throw new InvalidInputError('token', 'This setup link has already been used');
      await users.addMember(row.account_id, { email, password, role: 'account-admin' });
      return { accountId: row.account_id };
    },
  };
}
