/** The routes of Settings > Deploy Targets. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { DeployTarget } from '../../targets/deploy-targets.js';
import { auditActor } from '../../web/actor.js';
import type { Services } from '../../web/services.js';
import { type AccountContext, accountContext } from '../kit/context.js';
import { panelReplies } from '../kit/dialog.js';
import { CONSOLE, sendHtml } from '../kit/html.js';
import { AccountParams } from '../kit/params.js';
import { DeleteTargetDialog, EditTargetDialog, NewTargetDialog } from './dialogs.js';
import { EditTargetForm, NewTargetForm, TargetParams } from './forms.js';
import { TargetsPage, TargetsPanel } from './pages.js';

export type TargetPageServices = Pick<Services, 'accounts' | 'deployTargets' | 'deployments'>;

export function registerTargetPages(root: FastifyInstance, services: TargetPageServices): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const hide = true;
  const read = { config: { permission: 'read' } } as const;
  const manage = { config: { permission: 'manage' } } as const;
  const deploy = { config: { permission: 'deploy' } } as const;

  const targetsPath = '/:acc/settings/deploy-targets';
  const targetsBase = (ctx: AccountContext) => `${CONSOLE}/${ctx.account.id}/settings/deploy-targets`;

  async function loadTargets(accountId: string) {
    const [targets, currentVersion] = await Promise.all([
      services.deployTargets.list(accountId),
      services.deployments.configurationVersion(accountId),
    ]);
    return { targets, currentVersion };
  }

  const replies = panelReplies({
    load: loadTargets,
    page: (ctx, data, modal) => <TargetsPage ctx={ctx} {...data} modal={modal} />,
    panel: (ctx, data, highlight) => <TargetsPanel ctx={ctx} {...data} highlight={highlight} />,
  });

  app.get(targetsPath, { ...read, schema: { params: AccountParams, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return sendHtml(reply, <TargetsPage ctx={ctx} {...(await loadTargets(ctx.account.id))} />);
  });

  app.get(
    `${targetsPath}/new`,
    { ...manage, schema: { params: AccountParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      return replies.dialog(request, reply, ctx, <NewTargetDialog base={targetsBase(ctx)} />);
    },
  );

  app.post(
    targetsPath,
    {
      ...manage,
      schema: {
        params: AccountParams,
        hide,
        body: NewTargetForm,
      },
    },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const target = await services.deployTargets.create(ctx.account.id, request.body, auditActor(request));
      return replies.changed(reply, ctx, `Created deploy target "${target.name}" (${target.id}).`, {
        highlight: target.id,
      });
    },
  );

  /** A target's dialog (Edit, Delete), opened from its row: the same route shape for each. */
  function targetDialog(name: string, render: (base: string, target: DeployTarget) => JSX.Element): void {
    app.get(
      `${targetsPath}/:dt/${name}`,
      { ...manage, schema: { params: TargetParams, hide } },
      async (request, reply) => {
        const ctx = await accountContext(services, request, request.params.acc);
        const target = await services.deployTargets.get(ctx.account.id, request.params.dt);
        return replies.dialog(request, reply, ctx, render(targetsBase(ctx), target));
      },
    );
  }

  targetDialog('edit', (base, target) => <EditTargetDialog base={base} target={target} />);

  app.post(
    `${targetsPath}/:dt/edit`,
    {
      ...manage,
      schema: {
        params: TargetParams,
        hide,
        body: EditTargetForm,
      },
    },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const { visitorStorage, cookieDomain, ...rest } = request.body;
      const target = await services.deployTargets.update(
        ctx.account.id,
        request.params.dt,
        {
          ...rest,
          visitorStorage,
          // the domain field stays in the form when localStorage is chosen: it is not sent on
          cookieDomain:
            visitorStorage === undefined
              ? undefined
              : visitorStorage === 'cookie'
                ? cookieDomain || null
                : null,
        },
        auditActor(request),
      );
      return replies.changed(reply, ctx, `Saved deploy target "${target.name}".`, { highlight: target.id });
    },
  );

  targetDialog('delete', (base, target) => <DeleteTargetDialog base={base} target={target} />);

  app.post(
    `${targetsPath}/:dt/delete`,
    { ...manage, schema: { params: TargetParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const target = await services.deployTargets.remove(
        ctx.account.id,
        request.params.dt,
        auditActor(request),
      );
      return replies.changed(reply, ctx, `Deleted deploy target "${target.name}".`);
    },
  );

  app.post(
    `${targetsPath}/:dt/deploy`,
    { ...deploy, schema: { params: TargetParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const deployment = await services.deployments.deploy(
        ctx.account.id,
        request.params.dt,
        auditActor(request),
      );
      const target = await services.deployTargets.get(ctx.account.id, request.params.dt);
      return replies.changed(reply, ctx, `Deployed version ${deployment.version} to "${target.name}".`, {
        highlight: target.id,
      });
    },
  );
}
