/**
 * QA sessions (docs/targeting.md): a session code people use to check a deploy target's agents
 * before real visitors see them. A QA session's selections and rewards are never counted; it may
 * force a variation per agent; it alone sees agents marked `qaOnly`; it expires.
 *
 * Decisions: codes are `qa-` and 16 base62 characters, made by the server (so the runtime looks
 * up only sessions that start with `qa-`, and every other request pays nothing). A lookup is
 * cached for a few seconds per server, so a QA session deleted or expired stops being one on
 * every server within that time. Forced variations are checked against the agent when answering,
 * not when created: a code naming no variation is simply not forced.
 *
 * Each QA session's last 50 requests are kept in the store with the engine's debug log, so the
 * console shows them whichever server answered; older ones are deleted as new ones arrive.
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { ActorLike, AuditRecorder } from '../audit/audit-log.js';
import { toActor } from '../audit/audit-log.js';
import { InvalidInputError, NotFoundError } from '../kernel/errors.js';
import { randomBase62 } from '../kernel/ids.js';
import type { Database, QaSessionsTable } from '../store/schema.js';
import type { DeployTargetService } from './deploy-targets.js';

export const QA_PREFIX = 'qa-';
const LOOKUP_TTL_MS = 5_000;
const MAX_LIFETIME_MS = 30 * 86_400_000;
export const QA_REQUESTS_KEPT = 50;

/** A request a QA session made, as the console shows it. */
export interface QaRequest {
  at: number;
  deployTarget: string;
  commands: unknown[];
  inputs: Record<string, string>;
  traits: string[];
  /** the answered items */
  items: unknown[];
  /** the engine's debug lines */
  log: string[];
}

export interface QaSession {
  code: string;
  deployTarget: string;
  name: string;
  /** agent code → the variation it answers this session */
  forced: Record<string, string>;
  expiresAt: number;
  createdAt: number;
  createdBy: string;
}

export const QaSessionInput = z.object({
  deployTarget: z.string().min(1, 'name a deploy target').max(100),
  name: z.string().trim().min(1, 'must not be empty').max(100).default('QA session'),
  forced: z
    .record(
      z
        .string()
        .regex(/^a-[A-Za-z0-9_-]+$/, 'keys are agent codes (a-…)')
        .max(100),
      z
        .string()
        .regex(/^[A-Za-z0-9_-]+$/, 'a variation code')
        .max(64),
    )
    .default({}),
  /** seconds from now; at most 30 days */
  expiresInSeconds: z
    .number({ error: 'a number of seconds' })
    .int('a whole number of seconds')
    .min(60, 'at least 60 seconds')
    .max(MAX_LIFETIME_MS / 1000, 'at most 30 days')
    .default(86_400),
});
export type QaSessionInput = z.input<typeof QaSessionInput>;

export interface QaSessionService {
  list(accountId: string): Promise<QaSession[]>;
  create(accountId: string, input: QaSessionInput, by?: ActorLike): Promise<QaSession>;
  remove(accountId: string, code: string, by?: ActorLike): Promise<QaSession>;
  /** The QA session of this code in the account, live or expired; NotFoundError otherwise. */
  get(accountId: string, code: string): Promise<QaSession>;
  /** Keeps a request of the QA session, dropping all but its last 50. */
  recordRequest(accountId: string, code: string, request: QaRequest): Promise<void>;
  /** The QA session's kept requests, newest first; NotFoundError for an unknown code. */
  requests(accountId: string, code: string): Promise<QaRequest[]>;
  /** The live QA session this runtime session is on this target, or null (cached briefly). */
  find(accountId: string, deployTargetId: string, session: string): Promise<QaSession | null>;
}

function toQaSession(row: QaSessionsTable): QaSession {
  return {
    code: row.code,
    deployTarget: row.deploy_target_id,
    name: row.name,
    forced: JSON.parse(row.forced) as Record<string, string>,
    expiresAt: Number(row.expires_at),
    createdAt: Number(row.created_at),
    createdBy: row.created_by,
  };
}

export function createQaSessionService(
  db: Kysely<Database>,
  deployTargets: Pick<DeployTargetService, 'get'>,
  audit: AuditRecorder,
  options: { now?: () => number } = {},
): QaSessionService {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { at: number; found: QaSession | null }>();
  // Orders requests of the same millisecond on this server.
  let counter = 0;

  const select = (accountId: string, code: string) =>
    db
      .selectFrom('qa_sessions')
      .selectAll()
      .where('account_id', '=', accountId)
      .where('code', '=', code)
      .executeTakeFirst();

  return {
    async list(accountId) {
      const rows = await db
        .selectFrom('qa_sessions')
        .selectAll()
        .where('account_id', '=', accountId)
        .orderBy('created_at')
        .execute();
      return rows.map(toQaSession);
    },

    async create(accountId, input, by) {
      const parsed = QaSessionInput.safeParse(input);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        throw new InvalidInputError(issue.path.map(String).join('.') || 'qaSession', issue.message);
      }
      const { deployTarget, name, forced, expiresInSeconds } = parsed.data;
      try {
        await deployTargets.get(accountId, deployTarget);
      } catch (error) {
        if (error instanceof NotFoundError) throw new InvalidInputError('deployTarget', error.message);
        throw error;
      }
      const at = now();
      const qa: QaSession = {
        code: `${QA_PREFIX}${randomBase62(16)}`,
        deployTarget,
        name,
        forced,
        expiresAt: at + expiresInSeconds * 1000,
        createdAt: at,
        createdBy: toActor(by).name,
      };
      await db.transaction().execute(async (trx) => {
        await trx
          .insertInto('qa_sessions')
          .values({
            account_id: accountId,
            code: qa.code,
            deploy_target_id: deployTarget,
            name,
            forced: JSON.stringify(forced),
            expires_at: qa.expiresAt,
            created_at: at,
            created_by: qa.createdBy,
          })
          .execute();
        await audit.record(trx, by, {
          accountId,
          action: 'qa-session.create',
          targetType: 'qa-session',
          targetId: qa.code,
          before: null,
          after: qa,
        });
      });
      return qa;
    },

    async get(accountId, code) {
      const row = await select(accountId, code);
      if (!row) throw new NotFoundError('qa_session_not_found', `No QA session ${code} in this account`);
      return toQaSession(row);
    },

    async recordRequest(accountId, code, request) {
      counter = (counter + 1) % 1_000_000;
      const id = `${String(request.at).padStart(15, '0')}-${String(counter).padStart(6, '0')}`;
      await db
        .insertInto('qa_requests')
        .values({
          account_id: accountId,
          code,
          id,
          deploy_target_id: request.deployTarget,
          at: request.at,
          request: JSON.stringify({
            commands: request.commands,
            inputs: request.inputs,
            traits: request.traits,
          }),
          items: JSON.stringify(request.items),
          log: JSON.stringify(request.log),
        })
        .execute();
      const oldestKept = await db
        .selectFrom('qa_requests')
        .select('id')
        .where('account_id', '=', accountId)
        .where('code', '=', code)
        .orderBy('id', 'desc')
        .limit(1)
        .offset(QA_REQUESTS_KEPT - 1)
        .executeTakeFirst();
      if (oldestKept)
        await db
          .deleteFrom('qa_requests')
          .where('account_id', '=', accountId)
          .where('code', '=', code)
          .where('id', '<', oldestKept.id)
          .execute();
    },

    async requests(accountId, code) {
      if (!(await select(accountId, code)))
        throw new NotFoundError('qa_session_not_found', `No QA session ${code} in this account`);
      const rows = await db
        .selectFrom('qa_requests')
        .selectAll()
        .where('account_id', '=', accountId)
        .where('code', '=', code)
        .orderBy('id', 'desc')
        .limit(QA_REQUESTS_KEPT)
        .execute();
      return rows.map((row) => {
        const asked = JSON.parse(row.request) as Pick<QaRequest, 'commands' | 'inputs' | 'traits'>;
        return {
          at: Number(row.at),
          deployTarget: row.deploy_target_id,
          ...asked,
          items: JSON.parse(row.items) as unknown[],
          log: JSON.parse(row.log) as string[],
        };
      });
    },

    async remove(accountId, code, by) {
      const row = await select(accountId, code);
      if (!row) throw new NotFoundError('qa_session_not_found', `No QA session ${code} in this account`);
      const qa = toQaSession(row);
      await db.transaction().execute(async (trx) => {
        await trx
          .deleteFrom('qa_requests')
          .where('account_id', '=', accountId)
          .where('code', '=', code)
          .execute();
        await trx
          .deleteFrom('qa_sessions')
          .where('account_id', '=', accountId)
          .where('code', '=', code)
          .execute();
        await audit.record(trx, by, {
          accountId,
          action: 'qa-session.delete',
          targetType: 'qa-session',
          targetId: code,
          before: qa,
          after: null,
        });
      });
      cache.delete(`${accountId} ${code}`);
      return qa;
    },

    async find(accountId, deployTargetId, session) {
      if (!session.startsWith(QA_PREFIX)) return null;
      const key = `${accountId} ${session}`;
      const at = now();
      let entry = cache.get(key);
      if (!entry || at - entry.at > LOOKUP_TTL_MS) {
        const row = await select(accountId, session);
        entry = { at, found: row ? toQaSession(row) : null };
        if (cache.size > 10_000) cache.clear();
        cache.set(key, entry);
      }
      const qa = entry.found;
      return qa && qa.deployTarget === deployTargetId && qa.expiresAt > at ? qa : null;
    },
  };
}
