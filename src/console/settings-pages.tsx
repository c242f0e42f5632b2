/**
 * Settings > Deploy Targets (everyone reads; Account Admins create, rename, change the deploy
 * mode and delete; Agent Admins and Account Admins "Deploy now") and Settings > Users (Account
 * Admins add people with a role, change roles, remove people).
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLE_LABELS, ROLES, type Role } from '../access/permissions.js';
import type { Member } from '../accounts/users.js';
import { DEPLOY_MODES, DEPLOY_TARGET_KINDS, type DeployTarget } from '../targets/deploy-targets.js';
import { auditActor } from '../web/actor.js';
import type { Services } from '../web/services.js';
import { type AccountContext, accountContext } from './context.js';
import { CONSOLE, formatTime, isHtmx, sendHtml } from './html.js';
import { AccountPage, CancelButton, CloseModal, Dialog, Flash, FormError, SettingsTabs } from './layout.js';

const TARGET_KINDS = { rest: 'REST API', js: 'JS / On-Device' } as const;
const MODES = {
  automatic: 'Automatic: every change is deployed at once',
  manual: 'Manual: changes wait for "Deploy now"',
} as const;

const Params = z.object({ acc: z.string().min(1).max(64) });
const TargetParams = Params.extend({ dt: z.string().min(1).max(64) });
const UserParams = Params.extend({ id: z.string().min(1).max(64) });
const FormName = z.string().trim().min(1, 'Name: must not be empty').max(100, 'Name: at most 100 characters');

/* ---------- deploy targets ---------- */

function TargetsPanel(props: {
  ctx: AccountContext;
  targets: DeployTarget[];
  currentVersion: number;
  highlight?: string;
}): JSX.Element {
  const { ctx, currentVersion } = props;
  const base = `${CONSOLE}/${ctx.account.id}/settings/deploy-targets`;
  const showActions = ctx.can('deploy') || ctx.can('manage');
  return (
    <div id="targets-panel">
      <p class="hint" safe>
        {`Current configuration of agents and goals: version ${currentVersion}.`}
      </p>
      <table class="table">
        <caption class="visually-hidden">Deploy targets of this account</caption>
        <thead>
          <tr>
            <th scope="col">Name</th>
            <th scope="col">Kind</th>
            <th scope="col">Deploy mode</th>
            <th scope="col">Last deployment</th>
            {showActions ? (
              <th scope="col">
                <span class="visually-hidden">Actions</span>
              </th>
            ) : (
              ''
            )}
          </tr>
        </thead>
        <tbody>
          {props.targets.map((t) => {
            const behind = t.deployedVersion === null || t.deployedVersion < currentVersion;
            return (
              <tr id={`target-${t.id}`} class={t.id === props.highlight ? 'highlight' : undefined}>
                <th scope="row" data-label="Name">
                  <span safe>{t.name}</span>{' '}
                  <code class="muted" safe>
                    {t.id}
                  </code>
                  {t.isDefault ? <span class="tag">default</span> : ''}
                </th>
                <td data-label="Kind">{TARGET_KINDS[t.kind]}</td>
                <td data-label="Deploy mode">{t.deployMode === 'automatic' ? 'Automatic' : 'Manual'}</td>
                <td data-label="Last deployment">
                  {t.deployedVersion === null ? (
                    <span class="muted">Nothing deployed yet</span>
                  ) : (
                    <>
                      <span safe>{`Version ${t.deployedVersion}`}</span>
                      <br />
                      <span class="muted" safe>
                        {formatTime(t.deployedAt)}
                      </span>
                    </>
                  )}
                  {behind && currentVersion > 0 ? <span class="tag warn">changes waiting</span> : ''}
                </td>
                {showActions ? (
                  <td class="row-actions">
                    {ctx.can('deploy') ? (
                      <form hx-post={`${base}/${t.id}/deploy`} hx-target="#targets-panel" hx-swap="outerHTML">
                        <button type="submit" class="button small primary">
                          Deploy now<span class="visually-hidden" safe>{` to ${t.name}`}</span>
                        </button>
                      </form>
                    ) : (
                      ''
                    )}
                    {ctx.can('manage') ? (
                      <>
                        <button
                          type="button"
                          class="button small"
                          id={`edit-target-${t.id}`}
                          hx-get={`${base}/${t.id}/edit`}
                          hx-target="#modal"
                        >
                          Edit<span class="visually-hidden" safe>{` ${t.name}`}</span>
                        </button>
                        {t.isDefault ? (
                          ''
                        ) : (
                          <button
                            type="button"
                            class="button small danger"
                            id={`delete-target-${t.id}`}
                            hx-get={`${base}/${t.id}/delete`}
                            hx-target="#modal"
                          >
                            Delete<span class="visually-hidden" safe>{` ${t.name}`}</span>
                          </button>
                        )}
                      </>
                    ) : (
                      ''
                    )}
                  </td>
                ) : (
                  ''
                )}
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

function TargetsPage(props: {
  ctx: AccountContext;
  targets: DeployTarget[];
  currentVersion: number;
  modal?: JSX.Element;
}): JSX.Element {
  const { ctx } = props;
  const base = `${CONSOLE}/${ctx.account.id}/settings/deploy-targets`;
  return (
    <AccountPage ctx={ctx} title="Deploy Targets" modal={props.modal}>
      <h1>Settings</h1>
      <SettingsTabs ctx={ctx} />
      <section aria-labelledby="targets-title">
        <div class="section-head">
          <h2 id="targets-title">Deploy Targets</h2>
          {ctx.can('manage') ? (
            <div class="actions">
              <button
                type="button"
                class="button primary"
                id="new-target"
                hx-get={`${base}/new`}
                hx-target="#modal"
              >
                New Deploy Target
              </button>
            </div>
          ) : (
            ''
          )}
        </div>
        <p class="intro">
          Agents run on deploy targets: <em>REST API</em> targets answer the runtime API,{' '}
          <em>JS / On-Device</em> targets serve the script tag and native bundles. Each serves the
          configuration it was last deployed with.
        </p>
        <TargetsPanel ctx={ctx} targets={props.targets} currentVersion={props.currentVersion} />
      </section>
    </AccountPage>
  );
}

function ModeChoice(props: { current: string }): JSX.Element {
  return (
    <fieldset>
      <legend>Deploy mode</legend>
      {DEPLOY_MODES.map((mode) => (
        <label class="choice">
          <input type="radio" name="deployMode" value={mode} checked={props.current === mode} />
          <span>{MODES[mode]}</span>
        </label>
      ))}
    </fieldset>
  );
}

function NewTargetDialog(props: { base: string }): JSX.Element {
  return (
    <Dialog id="new-target-dialog" title="New Deploy Target">
      <form hx-post={props.base} hx-target="#targets-panel" hx-swap="outerHTML" class="stack">
        <label for="new-target-name">Name</label>
        <input id="new-target-name" name="name" type="text" required maxlength="100" placeholder="Staging" />
        <fieldset>
          <legend>Kind</legend>
          {DEPLOY_TARGET_KINDS.map((kind, i) => (
            <label class="choice">
              <input type="radio" name="kind" value={kind} checked={i === 0} />
              <span>{kind === 'rest' ? 'REST API' : 'JavaScript and On-Device'}</span>
            </label>
          ))}
        </fieldset>
        <ModeChoice current="automatic" />
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            Create
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function EditTargetDialog(props: { base: string; target: DeployTarget }): JSX.Element {
  const { target } = props;
  return (
    <Dialog id="edit-target" title={`Edit deploy target: ${target.name}`}>
      <form
        hx-post={`${props.base}/${target.id}/edit`}
        hx-target="#targets-panel"
        hx-swap="outerHTML"
        class="stack"
      >
        <p>
          <span>{TARGET_KINDS[target.kind]}</span> <code safe>{target.id}</code>
        </p>
        <label for="edit-target-name">Name</label>
        <input id="edit-target-name" name="name" type="text" required maxlength="100" value={target.name} />
        <ModeChoice current={target.deployMode} />
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            Save
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteTargetDialog(props: { base: string; target: DeployTarget }): JSX.Element {
  const { target } = props;
  return (
    <Dialog id="delete-target" title="Delete this deploy target?">
      <p>
        <strong safe>{target.name}</strong> <code safe>{target.id}</code>
      </p>
      <p class="warning" role="note">
        Requests to it will fail at once. API keys associated with it must be edited first.
      </p>
      <form hx-post={`${props.base}/${target.id}/delete`} hx-target="#targets-panel" hx-swap="outerHTML">
        <FormError />
        <div class="dialog-actions">
          <CancelButton label="Keep it" />
          <button type="submit" class="button danger">
            Delete deploy target
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/* ---------- users ---------- */

function RoleOptions(props: { current: Role }): JSX.Element {
  return (
    <>
      {ROLES.map((role) => (
        <option value={role} selected={role === props.current} safe>
          {ROLE_LABELS[role]}
        </option>
      ))}
    </>
  );
}

function UsersPanel(props: { ctx: AccountContext; members: Member[]; highlight?: string }): JSX.Element {
  const { ctx } = props;
  const base = `${CONSOLE}/${ctx.account.id}/settings/users`;
  return (
    <div id="users-panel">
      <table class="table">
        <caption class="visually-hidden">People of this account</caption>
        <thead>
          <tr>
            <th scope="col">Email</th>
            <th scope="col">Role</th>
            <th scope="col">Added</th>
            <th scope="col">
              <span class="visually-hidden">Actions</span>
            </th>
          </tr>
        </thead>
        <tbody>
          {props.members.map((m) => (
            <tr id={`user-${m.id}`} class={m.id === props.highlight ? 'highlight' : undefined}>
              <th scope="row" data-label="Email">
                <span safe>{m.email}</span>
                {m.id === ctx.user.id ? <span class="tag">you</span> : ''}
              </th>
              <td data-label="Role">
                <form
                  class="inline-form"
                  hx-post={`${base}/${m.id}/role`}
                  hx-target="#users-panel"
                  hx-swap="outerHTML"
                >
                  <label for={`role-${m.id}`} class="visually-hidden" safe>
                    {`Role of ${m.email}`}
                  </label>
                  <select id={`role-${m.id}`} name="role">
                    <RoleOptions current={m.role} />
                  </select>
                  <button type="submit" class="button small">
                    Change role<span class="visually-hidden" safe>{` of ${m.email}`}</span>
                  </button>
                </form>
              </td>
              <td data-label="Added" safe>
                {formatTime(m.createdAt)}
              </td>
              <td class="row-actions">
                <button
                  type="button"
                  class="button small danger"
                  id={`remove-user-${m.id}`}
                  hx-get={`${base}/${m.id}/remove`}
                  hx-target="#modal"
                >
                  Remove<span class="visually-hidden" safe>{` ${m.email}`}</span>
                </button>
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}

function UsersPage(props: { ctx: AccountContext; members: Member[]; modal?: JSX.Element }): JSX.Element {
  const { ctx } = props;
  const base = `${CONSOLE}/${ctx.account.id}/settings/users`;
  return (
    <AccountPage ctx={ctx} title="Users" modal={props.modal}>
      <h1>Settings</h1>
      <SettingsTabs ctx={ctx} />
      <section aria-labelledby="users-title">
        <div class="section-head">
          <h2 id="users-title">Users</h2>
          <div class="actions">
            <button
              type="button"
              class="button primary"
              id="new-user"
              hx-get={`${base}/new`}
              hx-target="#modal"
            >
              Add User
            </button>
          </div>
        </div>
        <p class="intro">
          <strong>View Reports</strong> reads agents, goals and reports. <strong>Agent Author</strong> also
          changes agents and goals. <strong>Agent Admin</strong> also deploys. <strong>Account Admin</strong>{' '}
          also manages API keys, deploy targets and users.
        </p>
        <UsersPanel ctx={ctx} members={props.members} />
      </section>
    </AccountPage>
  );
}

function NewUserDialog(props: { base: string }): JSX.Element {
  return (
    <Dialog id="new-user-dialog" title="Add User">
      <form hx-post={props.base} hx-target="#users-panel" hx-swap="outerHTML" class="stack">
        <label for="new-user-email">Email</label>
        <input id="new-user-email" name="email" type="email" required maxlength="254" autocomplete="off" />
        <label for="new-user-password">
          Password{' '}
          <span class="hint">(at least 10 characters; not needed for someone who already has a login)</span>
        </label>
        <input
          id="new-user-password"
          name="password"
          type="password"
          autocomplete="new-password"
          maxlength="1024"
        />
        <label for="new-user-role">Role</label>
        <select id="new-user-role" name="role">
          <RoleOptions current="view-reports" />
        </select>
        <FormError />
        <div class="dialog-actions">
          <CancelButton />
          <button type="submit" class="button primary">
            Add User
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function RemoveUserDialog(props: { base: string; member: Member }): JSX.Element {
  const { member } = props;
  return (
    <Dialog id="remove-user" title="Remove this person from the account?">
      <p>
        <strong safe>{member.email}</strong> <span safe>{`(${ROLE_LABELS[member.role]})`}</span>
      </p>
      <p class="warning" role="note">
        They lose access to this account at once, including any page they have open.
      </p>
      <form hx-post={`${props.base}/${member.id}/remove`} hx-target="#users-panel" hx-swap="outerHTML">
        <FormError />
        <div class="dialog-actions">
          <CancelButton label="Keep them" />
          <button type="submit" class="button danger">
            Remove
          </button>
        </div>
      </form>
    </Dialog>
  );
}

/* ---------- routes ---------- */

export function registerSettingsPages(root: FastifyInstance, services: Services): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const hide = true;
  const read = { config: { permission: 'read' } } as const;
  const manage = { config: { permission: 'manage' } } as const;
  const deploy = { config: { permission: 'deploy' } } as const;

  app.get('/:acc/settings', { ...read, schema: { params: Params, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    const section = ctx.can('manage') ? 'api-keys' : 'deploy-targets';
    return reply.redirect(`${CONSOLE}/${ctx.account.id}/settings/${section}`, 303);
  });

  /* deploy targets */
  const targetsPath = '/:acc/settings/deploy-targets';
  const targetsBase = (ctx: AccountContext) => `${CONSOLE}/${ctx.account.id}/settings/deploy-targets`;

  async function loadTargets(accountId: string) {
    const [targets, currentVersion] = await Promise.all([
      services.deployTargets.list(accountId),
      services.deployments.configurationVersion(accountId),
    ]);
    return { targets, currentVersion };
  }

  async function targetsDialog(
    request: FastifyRequest,
    reply: FastifyReply,
    ctx: AccountContext,
    dialog: JSX.Element,
  ): Promise<FastifyReply> {
    if (isHtmx(request)) return sendHtml(reply, dialog);
    return sendHtml(reply, <TargetsPage ctx={ctx} {...(await loadTargets(ctx.account.id))} modal={dialog} />);
  }

  async function targetsChanged(
    reply: FastifyReply,
    ctx: AccountContext,
    message: string,
    highlight?: string,
  ) {
    const data = await loadTargets(ctx.account.id);
    return sendHtml(
      reply,
      <>
        <TargetsPanel ctx={ctx} {...data} highlight={highlight} />
        <CloseModal />
        <Flash message={message} />
      </>,
    );
  }

  app.get(targetsPath, { ...read, schema: { params: Params, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return sendHtml(reply, <TargetsPage ctx={ctx} {...(await loadTargets(ctx.account.id))} />);
  });

  app.get(`${targetsPath}/new`, { ...manage, schema: { params: Params, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return targetsDialog(request, reply, ctx, <NewTargetDialog base={targetsBase(ctx)} />);
  });

  app.post(
    targetsPath,
    {
      ...manage,
      schema: {
        params: Params,
        hide,
        body: z.object({
          name: FormName,
          kind: z.enum(DEPLOY_TARGET_KINDS),
          deployMode: z.enum(DEPLOY_MODES).default('automatic'),
        }),
      },
    },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const target = await services.deployTargets.create(ctx.account.id, request.body, auditActor(request));
      return targetsChanged(reply, ctx, `Created deploy target "${target.name}" (${target.id}).`, target.id);
    },
  );

  app.get(
    `${targetsPath}/:dt/edit`,
    { ...manage, schema: { params: TargetParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const target = await services.deployTargets.get(ctx.account.id, request.params.dt);
      return targetsDialog(request, reply, ctx, <EditTargetDialog base={targetsBase(ctx)} target={target} />);
    },
  );

  app.post(
    `${targetsPath}/:dt/edit`,
    {
      ...manage,
      schema: {
        params: TargetParams,
        hide,
        body: z.object({ name: FormName, deployMode: z.enum(DEPLOY_MODES) }),
      },
    },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const target = await services.deployTargets.update(
        ctx.account.id,
        request.params.dt,
        request.body,
        auditActor(request),
      );
      return targetsChanged(reply, ctx, `Saved deploy target "${target.name}".`, target.id);
    },
  );

  app.get(
    `${targetsPath}/:dt/delete`,
    { ...manage, schema: { params: TargetParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const target = await services.deployTargets.get(ctx.account.id, request.params.dt);
      return targetsDialog(
        request,
        reply,
        ctx,
        <DeleteTargetDialog base={targetsBase(ctx)} target={target} />,
      );
    },
  );

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
      return targetsChanged(reply, ctx, `Deleted deploy target "${target.name}".`);
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
      return targetsChanged(
        reply,
        ctx,
        `Deployed version ${deployment.version} to "${target.name}".`,
        target.id,
      );
    },
  );

  /* users */
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
    return sendHtml(
      reply,
      <>
        <UsersPanel ctx={ctx} members={members} highlight={highlight} />
        <CloseModal />
        <Flash message={message} />
      </>,
    );
  }

  async function usersDialog(
    request: FastifyRequest,
    reply: FastifyReply,
    ctx: AccountContext,
    dialog: JSX.Element,
  ): Promise<FastifyReply> {
    if (isHtmx(request)) return sendHtml(reply, dialog);
    const members = await services.users.listMembers(ctx.account.id);
    return sendHtml(reply, <UsersPage ctx={ctx} members={members} modal={dialog} />);
  }

  app.get(usersPath, { ...manage, schema: { params: Params, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    const members = await services.users.listMembers(ctx.account.id);
    return sendHtml(reply, <UsersPage ctx={ctx} members={members} />);
  });

  app.get(`${usersPath}/new`, { ...manage, schema: { params: Params, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return usersDialog(request, reply, ctx, <NewUserDialog base={usersBase(ctx)} />);
  });

  app.post(
    usersPath,
    {
      ...manage,
      schema: {
        params: Params,
        hide,
        body: z.object({
          email: z.email('Email: not an email address').max(254),
          password: z.string().max(1024).optional(),
          role: z.enum(ROLES),
        }),
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
    { ...manage, schema: { params: UserParams, hide, body: z.object({ role: z.enum(ROLES) }) } },
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
