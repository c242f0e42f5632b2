import type { Kysely } from 'kysely';
import { newAccountId } from '../kernel/ids.js';
import type { Database } from '../store/schema.js';
import type { DeployTargetService } from '../targets/deploy-targets.js';

export interface Account {
  id: string;
  name: string;
  createdAt: number;
}

export interface AccountService {
  create(name: string): Promise<Account>;
  list(): Promise<Account[]>;
  get(id: string): Promise<Account | undefined>;
}

export function createAccountService(db: Kysely<Database>, targets: DeployTargetService): AccountService {
  return {
    async create(name) {
      const account: Account = { id: newAccountId(), name, createdAt: Date.now() };
      await db
        .insertInto('accounts')
        .values({ id: account.id, name, created_at: account.createdAt })
        .execute();
      // Every account starts with one REST and one JS target, both deploying every change at once;
      // the REST one answers /v3/agent-api when no target is named.
      await targets.create(account.id, {
        name: 'Production',
        kind: 'rest',
        deployMode: 'automatic',
        isDefault: true,
      });
      await targets.create(account.id, { name: 'Web', kind: 'js', deployMode: 'automatic' });
      return account;
    },
    async list() {
      const rows = await db.selectFrom('accounts').selectAll().orderBy('created_at').execute();
      return rows.map((r) => ({ id: r.id, name: r.name, createdAt: r.created_at }));
    },
    async get(id) {
      const row = await db.selectFrom('accounts').selectAll().where('id', '=', id).executeTakeFirst();
      return row ? { id: row.id, name: row.name, createdAt: row.created_at } : undefined;
    },
  };
}
