/** The route of Settings > Audit log (Account Admins). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../../web/services.js';
import { accountContext } from '../kit/context.js';
import { sendHtml } from '../kit/html.js';
import { AccountParams } from '../kit/params.js';
import { Query, toAuditQuery } from './forms.js';
import { AuditPage, PAGE_SIZE } from './page.js';

export type AuditPageServices = Pick<Services, 'accounts' | 'audit'>;

export function registerAuditPages(root: FastifyInstance, services: AuditPageServices): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  app.get(
    '/:acc/settings/audit',
    { config: { permission: 'manage' }, schema: { params: AccountParams, querystring: Query, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const entries = await services.audit.list(ctx.account.id, toAuditQuery(request.query), PAGE_SIZE);
      return sendHtml(reply, <AuditPage ctx={ctx} entries={entries} query={request.query} />);
    },
  );
}
