import type { FastifyRequest } from 'fastify';
import { actorOf } from '../access/principal.js';
import type { Actor } from '../audit/audit-log.js';

/** Who makes a change and from where (the client address, behind a proxy when trusted), for the audit log. */
export function auditActor(request: FastifyRequest): Actor {
  return { name: actorOf(request.principal), address: request.ip };
}
