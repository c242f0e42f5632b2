/**
 * Custom visitor traits (docs/targeting.md): an account names a trait group (like `plan`) and
 * ordered rules, each giving a value; on every request the session gets `cust/GROUP:VALUE` of the
 * first rule that holds, echoed in `traits` and usable in conditions and eligibility. They ship
 * in the deployed snapshot, so a change bumps the configuration and deploys like an agent's.
 *
 * Decisions: a group whose name a query trait also uses simply adds to it (the session keeps
 * both values, as it keeps every query trait); rules see the request's inputs, the query and
 * ua/ traits, the visitor facts, and the traits of groups defined before them (by name order).
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { ActorLike, AuditRecorder } from '../audit/audit-log.js';
import { InvalidInputError, NotFoundError } from '../kernel/errors.js';
import type { Database, TraitRulesTable } from '../store/schema.js';
import { Clause, Match } from './agents.js';
import type { ConfigurationChanges } from './configuration.js';
import type { SnapshotTrait } from './snapshot.js';

export const TraitGroup = z
  .string()
  .max(64, 'a trait group is at most 64 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'a trait group is letters, digits, - or _ (like plan)');

const TraitRule = z.object({
  value: z
    .union([z.string().trim().min(1, 'must not be empty').max(100), z.number(), z.boolean()], {
      error: 'a value is a string',
    })
    .transform(String),
  when: z.array(Clause).max(50, 'a rule has at most 50 clauses'),
  match: Match.optional(),
});

/** What `put` accepts; what `get` answered may be sent back (server fields are ignored). */
export const TraitInput = z.object({
  /** must match the group in the URL when present */
  group: z.string().optional(),
  rules: z
    .array(TraitRule)
    .min(1, 'a trait needs at least one rule')
    .max(100, 'a trait has at most 100 rules'),
});
export type TraitInput = z.input<typeof TraitInput>;

export interface Trait extends SnapshotTrait {
  version: number;
  createdAt: number;
  updatedAt: number;
}

export interface TraitService {
  list(accountId: string): Promise<Trait[]>;
  get(accountId: string, group: string): Promise<Trait>;
  put(
    accountId: string,
    group: string,
    input: TraitInput,
    by?: ActorLike,
  ): Promise<{ trait: Trait; created: boolean }>;
  remove(accountId: string, group: string, by?: ActorLike): Promise<Trait>;
}

function toTrait(row: TraitRulesTable): Trait {
  const definition = JSON.parse(row.definition) as Pick<SnapshotTrait, 'rules'>;
  return {
    group: row.trait_group,
    rules: definition.rules,
    version: row.version,
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The account's traits, by group name (the order the runtime applies them in). */
export async function selectTraits(db: Kysely<Database>, accountId: string): Promise<Trait[]> {
  const rows = await db
    .selectFrom('trait_rules')
    .selectAll()
    .where('account_id', '=', accountId)
    .orderBy('trait_group')
    .execute();
  return rows.map(toTrait);
}

async function selectTrait(
  db: Kysely<Database>,
  accountId: string,
  group: string,
): Promise<Trait | undefined> {
  const row = await db
    .selectFrom('trait_rules')
    .selectAll()
    .where('account_id', '=', accountId)
    .where('trait_group', '=', group)
    .executeTakeFirst();
  return row ? toTrait(row) : undefined;
}

function parseInput(group: string, input: unknown): Pick<SnapshotTrait, 'rules'> {
  const groupCheck = TraitGroup.safeParse(group);
  if (!groupCheck.success) throw new InvalidInputError('group', groupCheck.error.issues[0].message);
  const parsed = TraitInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(
      issue.path.length > 0 ? issue.path.map(String).join('.') : 'trait',
      issue.message,
    );
  }
  if (parsed.data.group !== undefined && parsed.data.group !== group) {
    throw new InvalidInputError(
      'group',
      `the body's group differs from the URL's ${group}; a group cannot be renamed`,
    );
  }
  return { rules: parsed.data.rules };
}

function audited(trait: Trait) {
  return { group: trait.group, rules: trait.rules };
}

export function createTraitService(
  db: Kysely<Database>,
  deployments: ConfigurationChanges,
  audit: AuditRecorder,
): TraitService {
  const notFound = (group: string) =>
    new NotFoundError('trait_not_found', `No trait ${group} in this account`);
  return {
    list: (accountId) => selectTraits(db, accountId),

    async get(accountId, group) {
      const trait = await selectTrait(db, accountId, group);
      if (!trait) throw notFound(group);
      return trait;
    },

    async put(accountId, group, input, by) {
      const { rules } = parseInput(group, input);
      const current = await selectTrait(db, accountId, group);
      if (current && JSON.stringify(current.rules) === JSON.stringify(rules))
        return { trait: current, created: false };
      return deployments.change(accountId, async (trx) => {
        const existing = await selectTrait(trx, accountId, group);
        const now = Date.now();
        const trait: Trait = {
          group,
          rules,
          version: (existing?.version ?? 0) + 1,
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
        };
        const values = {
          definition: JSON.stringify({ rules }),
          version: trait.version,
          updated_at: now,
        };
        if (existing) {
          await trx
            .updateTable('trait_rules')
            .set(values)
            .where('account_id', '=', accountId)
            .where('trait_group', '=', group)
            .execute();
        } else {
          await trx
            .insertInto('trait_rules')
            .values({ account_id: accountId, trait_group: group, created_at: now, ...values })
            .execute();
        }
        await audit.record(
          trx,
          by,
          {
            accountId,
            action: existing ? 'trait.update' : 'trait.create',
            targetType: 'trait',
            targetId: group,
            before: existing ? audited(existing) : null,
            after: audited(trait),
          },
          now,
        );
        return { trait, created: existing === undefined };
      });
    },

    async remove(accountId, group, by) {
      return deployments.change(accountId, async (trx) => {
        const existing = await selectTrait(trx, accountId, group);
        if (!existing) throw notFound(group);
        await trx
          .deleteFrom('trait_rules')
          .where('account_id', '=', accountId)
          .where('trait_group', '=', group)
          .execute();
        await audit.record(trx, by, {
          accountId,
          action: 'trait.delete',
          targetType: 'trait',
          targetId: group,
          before: audited(existing),
          after: null,
        });
        return existing;
      });
    },
  };
}
