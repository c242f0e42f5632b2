/** The audit log's filters: a plain GET form, read into an audit query. */
import { z } from 'zod';
import { AUDIT_TARGET_TYPES, type AuditQuery } from '../../audit/audit-log.js';
import { parseDay } from '../../kernel/days.js';

/** Empty fields (a submitted form) are no filter. */
const Field = (max: number) =>
  z
    .string()
    .max(max)
    .optional()
    .transform((v) => (v === undefined || v.trim() === '' ? undefined : v.trim()));

export const Query = z.object({
  actor: Field(320),
  target: Field(200),
  type: z.union([z.literal(''), z.enum(AUDIT_TARGET_TYPES)]).optional(),
  /** a day (YYYY-MM-DD, UTC): entries from its start */
  since: z
    .union([
      z.literal(''),
      z.string().refine((day) => parseDay(day) !== null, 'Since: a date like 2030-01-31'),
    ])
    .optional(),
});
export type Query = z.infer<typeof Query>;

export function toAuditQuery(query: Query): AuditQuery {
  return {
    actor: query.actor,
    target: query.target,
    targetType: query.type || undefined,
    since: query.since ? (parseDay(query.since) ?? undefined) : undefined,
  };
}

/** The export address: the Admin API's JSON lines with the same filters. */
export function exportHref(accountId: string, query: Query): string {
  const params = new URLSearchParams();
  if (query.actor) params.set('actor', query.actor);
  if (query.target) params.set('target', query.target);
  if (query.type) params.set('type', query.type);
  if (query.since) params.set('since', `${query.since}T00:00:00Z`);
  const search = params.toString();
  return `/admin/${accountId}/audit.jsonl${search ? `?${search}` : ''}`;
}
