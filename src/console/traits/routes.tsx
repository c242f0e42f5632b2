/** The routes of Visitor traits; changes need `change` (Agent Authors and above). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { auditActor } from '../../web/actor.js';
import type { Services } from '../../web/services.js';
import { accountContext } from '../kit/context.js';
import { CONSOLE, isHtmx, sendHtml } from '../kit/html.js';
import { AccountParams } from '../kit/params.js';
import { TraitForm, TraitParams, traitInputFromForm } from './forms.js';
import { TraitsPage } from './pages.js';

export type TraitPageServices = Pick<Services, 'accounts' | 'traits'>;

export function registerTraitPages(root: FastifyInstance, services: TraitPageServices): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const hide = true;
  const read = { config: { permission: 'read' } } as const;
  const change = { config: { permission: 'change' } } as const;
  const go = (request: FastifyRequest, reply: FastifyReply, to: string) => {
    if (isHtmx(request)) {
      reply.header('hx-redirect', to);
      return reply.code(204).send();
    }
    return reply.redirect(to, 303);
  };

  app.get('/:acc/traits', { ...read, schema: { params: AccountParams, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return sendHtml(reply, <TraitsPage ctx={ctx} traits={await services.traits.list(ctx.account.id)} />);
  });

  app.get(
    '/:acc/traits/:group',
    { ...read, schema: { params: TraitParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const [traits, editing] = await Promise.all([
        services.traits.list(ctx.account.id),
        services.traits.get(ctx.account.id, request.params.group),
      ]);
      return sendHtml(reply, <TraitsPage ctx={ctx} traits={traits} editing={editing} />);
    },
  );

  app.post(
    '/:acc/traits',
    { ...change, schema: { params: AccountParams, body: TraitForm, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const { group, input } = traitInputFromForm(request.body);
      const { trait } = await services.traits.put(ctx.account.id, group, input, auditActor(request));
      return go(request, reply, `${CONSOLE}/${ctx.account.id}/traits/${trait.group}`);
    },
  );

  app.post(
    '/:acc/traits/:group/delete',
    { ...change, schema: { params: TraitParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      await services.traits.remove(ctx.account.id, request.params.group, auditActor(request));
      return go(request, reply, `${CONSOLE}/${ctx.account.id}/traits`);
    },
  );
}
