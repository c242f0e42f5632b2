/** An audit entry as answered, in the list and, one per line, in the export. */
import { z } from 'zod';
import { AUDIT_TARGET_TYPES, type AuditEntry } from '../../audit/audit-log.js';
import { IsoTime, iso } from '../../web/schemas.js';

export const AuditRecord = z.object({
  id: z.string(),
  at: IsoTime,
  actor: z.string().describe('an email, or key:<id>'),
  clientAddress: z.string().nullable(),
  action: z.string(),
  targetType: z.enum(AUDIT_TARGET_TYPES),
  target: z.string(),
  before: z.unknown().describe('the target before the change'),
  after: z.unknown().describe('the target after the change'),
});

export function auditRecord(entry: AuditEntry): z.input<typeof AuditRecord> {
  return {
    id: entry.id,
    at: iso(entry.at),
    actor: entry.actor,
    clientAddress: entry.clientAddress,
    action: entry.action,
    targetType: entry.targetType,
    target: entry.targetId,
    before: entry.before,
    after: entry.after,
  };
}
