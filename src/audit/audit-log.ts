/**
 * The audit log: every change to API keys, deploy targets, people, deployments, agents and goals,
 * with who made it (a person's email, or `key:<id>` for an admin key), when, from which client
 * address, and the state before and after.
 *
 * Entries are written by `recordAudit` inside the transaction of the change itself, so no change
 * commits without its entry and a rolled-back change leaves none. Callers describe a record with
 * the fields a person may read (never a secret, a token or a password hash); as a second guard,
 * each entry passes through the redaction the log was made with (anything shaped like a Tessera
 * token masked: the composition hands in the keys module's `redactTokens`).
 *
 * Refused uses of keys are not logged here one by one: they are counted (key-usage.ts).
 */
import type { Kysely } from 'kysely';
import { randomBase62 } from '../kernel/ids.js';
import type { Database } from '../store/schema.js';

/** Who made a change, and from where (the client address, when it came over HTTP). */
export interface Actor {
  name: string;
  address: string | null;
}

/** A bare name is an actor without an address (the CLI, start-up, tests). */
export type ActorLike = Actor | string;

export function toActor(by: ActorLike | undefined): Actor {
  if (by === undefined) return { name: 'system', address: null };
  return typeof by === 'string' ? { name: by, address: null } : by;
}

export const AUDIT_TARGET_TYPES = [
  'api-key',
  'deploy-target',
  'user',
  'agent',
  'goal',
  'trait',
  'qa-session',
] as const;
export type AuditTargetType = (typeof AUDIT_TARGET_TYPES)[number];

export interface AuditChange {
  accountId: string;
  /** `<target type>.<verb>`: api-key.create, api-key.roll, deploy-target.deploy, user.delete, … */
  action: string;
  targetType: AuditTargetType;
  targetId: string;
  /** the record before the change (null for a creation) */
  before: object | null;
  /** the record after the change (null for a deletion) */
  after: object | null;
}

export interface AuditEntry {
  id: string;
  accountId: string;
  at: number;
  actor: string;
  clientAddress: string | null;
  action: string;
  targetType: AuditTargetType;
  targetId: string;
  before: unknown;
  after: unknown;
}

export interface AuditQuery {
  /** entries at or after (epoch ms) */
  since?: number;
  /** entries before (epoch ms) */
  until?: number;
  /** exactly this actor (an email, or key:<id>) */
  actor?: string;
  /** exactly this target (a key id, a deploy target code, a user id, an agent or goal code) */
  target?: string;
  targetType?: AuditTargetType;
}

export interface AuditLog {
  /** Writes one entry with `executor`: pass the change's transaction. */
  record(
    executor: Kysely<Database>,
    by: ActorLike | undefined,
    change: AuditChange,
    at?: number,
  ): Promise<void>;
  /** The newest entries first, at most `limit`. */
  list(accountId: string, query: AuditQuery, limit: number): Promise<AuditEntry[]>;
  /** Every matching entry, oldest first, read page by page (an export of any size). */
  all(accountId: string, query: AuditQuery): AsyncGenerator<AuditEntry>;
}

type Row = Database['audit_log'];

function toEntry(row: Row): AuditEntry {
  return {
    id: row.id,
    accountId: row.account_id,
    at: row.at,
    actor: row.actor,
    clientAddress: row.client_address,
    action: row.action,
    targetType: row.target_type as AuditTargetType,
    targetId: row.target_id,
    before: row.before === null ? null : JSON.parse(row.before),
    after: row.after === null ? null : JSON.parse(row.after),
  };
}

const EXPORT_PAGE = 1000;

/** What the domain's services need of the log: writing an entry inside their change's transaction. */
export type AuditRecorder = Pick<AuditLog, 'record'>;

export interface AuditLogOptions {
  /** applied to each entry's JSON before it is stored: the last guard against a secret in a record */
  redact: (json: string) => string;
}

export function createAuditLog(db: Kysely<Database>, options: AuditLogOptions): AuditLog {
  const stored = (value: object | null): string | null =>
    value === null ? null : options.redact(JSON.stringify(value));

  function filtered(accountId: string, query: AuditQuery) {
    let select = db.selectFrom('audit_log').selectAll().where('account_id', '=', accountId);
    if (query.since !== undefined) select = select.where('at', '>=', query.since);
    if (query.until !== undefined) select = select.where('at', '<', query.until);
    if (query.actor !== undefined) select = select.where('actor', '=', query.actor);
    if (query.target !== undefined) select = select.where('target_id', '=', query.target);
    if (query.targetType !== undefined) select = select.where('target_type', '=', query.targetType);
    return select;
  }

  return {
    async record(executor, by, change, at = Date.now()) {
      const actor = toActor(by);
      await executor
        .insertInto('audit_log')
        .values({
          id: `aud-${randomBase62(14)}`,
          account_id: change.accountId,
          at,
          actor: actor.name,
          client_address: actor.address,
          action: change.action,
          target_type: change.targetType,
          target_id: change.targetId,
          before: stored(change.before),
          after: stored(change.after),
        })
        .execute();
    },
    async list(accountId, query, limit) {
      const rows = await filtered(accountId, query)
        .orderBy('at', 'desc')
        .orderBy('id', 'desc')
        .limit(limit)
        .execute();
      return rows.map(toEntry);
    },
    async *all(accountId, query) {
      let after: { at: number; id: string } | null = null;
      for (;;) {
        let select = filtered(accountId, query);
        if (after !== null) {
          const { at, id } = after;
          select = select.where((eb) =>
            eb.or([eb('at', '>', at), eb.and([eb('at', '=', at), eb('id', '>', id)])]),
          );
        }
        const rows = await select.orderBy('at').orderBy('id').limit(EXPORT_PAGE).execute();
        for (const row of rows) yield toEntry(row);
        if (rows.length < EXPORT_PAGE) return;
        const last = rows[rows.length - 1];
        after = { at: last.at, id: last.id };
      }
    },
  };
}
