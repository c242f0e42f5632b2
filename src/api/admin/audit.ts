/**
 * The audit log (Account Admins: permission `manage`): who changed keys, deploy targets, people,
 * deployments, agents and goals, when, from which client address, with the state before and after.
 *   GET /admin/{acc}/audit?since=&until=&actor=&target=&type=&limit=   newest first (default 100, at most 1000)
 *   GET /admin/{acc}/audit.jsonl?since=&until=&actor=&target=&type=    every matching entry, oldest first, one JSON object per line
 * `since` and `until` are ISO-8601 times (`until` excluded); `actor` an email or `key:<id>`;
 * `target` a key id, deploy target code, user id, agent or goal code; `type` the kind of target.
 */
import { Readable } from 'node:stream';
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { AUDIT_TARGET_TYPES, type AuditQuery } from '../../audit/audit-log.js';
import { AccountParams, Answer, ok, Timestamp } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';
import { AuditRecord, auditRecord } from './audit-presenter.js';

const Filters = z.object({
  since: Timestamp.optional(),
  until: Timestamp.optional(),
  actor: z.string().min(1).max(320).optional(),
  target: z.string().min(1).max(200).optional(),
  type: z.enum(AUDIT_TARGET_TYPES).optional(),
});
const ListQuery = Filters.extend({ limit: z.coerce.number().int().min(1).max(1000).default(100) });

function toQuery(filters: z.infer<typeof Filters>): AuditQuery {
  return {
    since: filters.since,
    until: filters.until,
    actor: filters.actor,
    target: filters.target,
    targetType: filters.type,
  };
}

export function registerAuditRoutes(root: FastifyInstance, services: Pick<Services, 'audit'>): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const config = { permission: 'manage' } as const;
  const tags = ['audit log'];

  app.get(
    '/admin/:acc/audit',
    {
      config,
      schema: {
        tags,
        params: AccountParams,
        querystring: ListQuery,
        response: { 200: Answer(z.array(AuditRecord)) },
        description: 'Changes to keys, deploy targets, people, deployments, agents and goals: newest first.',
      },
    },
    async (request) => {
      const { limit, ...filters } = request.query;
      const entries = await services.audit.list(request.params.acc, toQuery(filters), limit);
      return ok(entries.map(auditRecord));
    },
  );

  app.get(
    '/admin/:acc/audit.jsonl',
    {
      config,
      schema: {
        tags,
        params: AccountParams,
        querystring: Filters,
        // Lines streamed as they are read: described here, never serialized.
        response: {
          200: {
            description: 'One audit entry (as the list answers it) per line',
            content: { 'application/x-ndjson': { schema: z.string() } },
          },
        },
        description: 'The whole audit log (or what the filters keep) as JSON lines, oldest first.',
      },
    },
    async (request, reply) => {
      const { acc } = request.params;
      const entries = services.audit.all(acc, toQuery(request.query));
      async function* lines() {
        for await (const entry of entries) yield `${JSON.stringify(auditRecord(entry))}\n`;
      }
      // The documented answer is the text; what is sent is a stream of it.
      const raw: FastifyReply = reply;
      return raw
        .type('application/x-ndjson; charset=utf-8')
        .header('cache-control', 'no-store')
        .header('content-disposition', `attachment; filename="audit-${acc}.jsonl"`)
        .send(Readable.from(lines()));
    },
  );
}
