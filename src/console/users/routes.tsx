/** The routes of Settings > Users; all need `manage` (Account Admins). */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { ROLE_LABELS } from '../../access/permissions.js';
import { auditActor } from '../../web/actor.js';
import type { Services } from '../../web/services.js';
import { type AccountContext, accountContext } from '../kit/context.js';
import { sendChanged, sendDialog } from '../kit/dialog.js';
import { CONSOLE, sendHtml } from '../kit/html.js';
import { AccountParams } from '../kit/params.js';
import { NewUserDialog, RemoveUserDialog } from './dialogs.js';
import { NewUserForm, RoleForm, UserParams } from './forms.js';
import { UsersPage, UsersPanel } from './pages.js';

export type UserPageServices = Pick<Services, 'accounts' | 'users'>;

export function registerUserPages(root: FastifyInstance, services: UserPageServices): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const hide = true;
  const manage = { config: { permission: 'manage' } } as const;

  const usersPath = '/:acc/settings/users';
  const usersBase = (ctx: AccountContext) => `${CONSOLE}/${ctx.account.id}/settings/users`;

  async function usersChanged(
    reply: FastifyReply,
    ctx: AccountContext,
    message: string,
    highlight?: string,
  ): Promise<FastifyReply> {
    const members = await services.users.listMembers(ctx.account.id);
    const me = members.find((m) => m.id === ctx.user.id);
    // Someone who just gave up managing this account (or left it) cannot stay on this page.
    if (me?.role !== 'account-admin') {
      reply.header('hx-redirect', me ? `${CONSOLE}/${ctx.account.id}/agents` : CONSOLE);
      return reply.code(204).send();
    }
    return sendChanged(reply, <UsersPanel ctx={ctx} members={members} highlight={highlight} />, message);
  }

  function usersDialog(
    request: FastifyRequest,
    reply: FastifyReply,
    ctx: AccountContext,
    dialog: JSX.Element,
  ): Promise<FastifyReply> {
    return sendDialog(request, reply, dialog, async (modal) => {
      const members = await services.users.listMembers(ctx.account.id);
      return <UsersPage ctx={ctx} members={members} modal={modal} />;
    });
  }

  app.get(usersPath, { ...manage, schema: { params: AccountParams, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    const members = await services.users.listMembers(ctx.account.id);
    return sendHtml(reply, <UsersPage ctx={ctx} members={members} />);
  });

  app.get(
    `${usersPath}/new`,
    { ...manage, schema: { params: AccountParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      return usersDialog(request, reply, ctx, <NewUserDialog base={usersBase(ctx)} />);
    },
  );

  app.post(
    usersPath,
    {
      ...manage,
      schema: {
        params: AccountParams,
        hide,
        body: NewUserForm,
      },
    },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const { email, role } = request.body;
      const password = request.body.password || undefined;
      const member = await services.users.addMember(
        ctx.account.id,
        { email, password, role },
        auditActor(request),
      );
      return usersChanged(reply, ctx, `Added ${member.email} as ${ROLE_LABELS[member.role]}.`, member.id);
    },
  );

  app.post(
    `${usersPath}/:id/role`,
    { ...manage, schema: { params: UserParams, hide, body: RoleForm } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const member = await services.users.changeRole(
        ctx.account.id,
        request.params.id,
        request.body.role,
        auditActor(request),
      );
      return usersChanged(reply, ctx, `${member.email} is now ${ROLE_LABELS[member.role]}.`, member.id);
    },
  );

  app.get(
    `${usersPath}/:id/remove`,
    { ...manage, schema: { params: UserParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const members = await services.users.listMembers(ctx.account.id);
      const member = members.find((m) => m.id === request.params.id);
      if (!member) return reply.callNotFound();
      return usersDialog(request, reply, ctx, <RemoveUserDialog base={usersBase(ctx)} member={member} />);
    },
  );

  app.post(
    `${usersPath}/:id/remove`,
    { ...manage, schema: { params: UserParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const member = await services.users.removeMember(
        ctx.account.id,
        request.params.id,
        auditActor(request),
      );
      return usersChanged(reply, ctx, `Removed ${member.email} from this account.`);
    },
  );
}
