/** The routes of Settings > API Keys / Info; the authorizer allows Account Admins only (`manage`). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { targetKindFor } from '../../keys/api-key.js';
import { auditActor } from '../../web/actor.js';
import type { Services } from '../../web/services.js';
import { type AccountContext, accountContext } from '../kit/context.js';
import { panelReplies } from '../kit/dialog.js';
import { asList, CONSOLE, sendHtml } from '../kit/html.js';
import { AccountParams } from '../kit/params.js';
import { DeleteKeyDialog, EditKeyDialog, RollKeyDialog } from './change-dialogs.js';
import { DEFAULT_NAMES, KIND_MARKERS } from './format.js';
import {
  CreateForm,
  DeleteForm,
  EditForm,
  expiryField,
  formExpiry,
  formOrigins,
  formRateLimit,
  KeyParams,
  RollForm,
} from './forms.js';
import { ApiKeysPage, KeysPanel } from './page.js';
import { NewAdminKeyDialog, NewSecretDialog, ScriptTagsDialog } from './secret-dialogs.js';
import { UsageDialog } from './usage-dialog.js';

export type KeyPageServices = Pick<Services, 'accounts' | 'keys' | 'deployTargets' | 'keyUsage' | 'now'>;

export function registerKeyPages(root: FastifyInstance, services: KeyPageServices): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const manage = { config: { permission: 'manage' } } as const;
  const path = '/:acc/settings/api-keys';
  const baseOf = (ctx: AccountContext) => `${CONSOLE}/${ctx.account.id}/settings/api-keys`;

  async function load(accountId: string) {
    const [keys, targets] = await Promise.all([
      services.keys.listKeys(accountId),
      services.deployTargets.list(accountId),
    ]);
    const usage = await services.keyUsage.usageOf(keys.map((k) => k.id));
    return { keys, targets, state: { usage, now: services.now() } };
  }

  /** One key with its usage and the account's targets, for a dialog. */
  async function loadKey(accountId: string, keyId: string) {
    const key = await services.keys.getKey(accountId, keyId);
    const [usage, targets] = await Promise.all([
      services.keyUsage.usageOf([key.id]),
      services.deployTargets.list(accountId),
    ]);
    return {
      key,
      usage: usage.get(key.id),
      now: services.now(),
      targets: new Map(targets.map((t) => [t.id, t])),
    };
  }

  const replies = panelReplies({
    load,
    page: (ctx, data, modal) => <ApiKeysPage ctx={ctx} {...data} modal={modal} />,
    panel: (ctx, data, highlight) => <KeysPanel ctx={ctx} {...data} highlight={highlight} />,
  });

  app.get(path, { ...manage, schema: { params: AccountParams, hide: true } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return sendHtml(reply, <ApiKeysPage ctx={ctx} {...(await load(ctx.account.id))} />);
  });

  app.get(
    `${path}/new-admin`,
    { ...manage, schema: { params: AccountParams, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      return replies.dialog(request, reply, ctx, <NewAdminKeyDialog base={baseOf(ctx)} />);
    },
  );

  app.post(
    path,
    { ...manage, schema: { params: AccountParams, body: CreateForm, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const { kind } = request.body;
      const name = request.body.name || DEFAULT_NAMES[kind];
      const { key, secret } = await services.keys.createKey(
        ctx.account.id,
        { kind, name },
        auditActor(request),
      );
      const targets = await services.deployTargets.list(ctx.account.id);
      reply.header('cache-control', 'no-store');
      return replies.changed(reply, ctx, `Created ${KIND_MARKERS[kind].label} key "${name}".`, {
        highlight: key.id,
        modal: <NewSecretDialog ctx={ctx} apiKey={key} secret={secret} targets={targets} />,
      });
    },
  );

  /** `GET …/:id/<name>`: a dialog about one key of the account, rendered by `render`. */
  function keyDialog(
    name: string,
    render: (ctx: AccountContext, keyId: string) => Promise<JSX.Element>,
  ): void {
    app.get(
      `${path}/:id/${name}`,
      { ...manage, schema: { params: KeyParams, hide: true } },
      async (request, reply) => {
        const ctx = await accountContext(services, request, request.params.acc);
        return replies.dialog(request, reply, ctx, await render(ctx, request.params.id));
      },
    );
  }

  keyDialog('edit', async (ctx, id) => {
    const key = await services.keys.getKey(ctx.account.id, id);
    const targets = await services.deployTargets.list(ctx.account.id);
    return (
      <EditKeyDialog
        base={baseOf(ctx)}
        apiKey={key}
        targets={targets}
        expired={key.expiresAt !== null && key.expiresAt <= services.now()}
      />
    );
  });

  keyDialog('usage', async (ctx, id) => {
    const { key, usage, now, targets } = await loadKey(ctx.account.id, id);
    return <UsageDialog base={baseOf(ctx)} apiKey={key} usage={usage} now={now} targets={targets} />;
  });

  keyDialog('roll', async (ctx, id) => {
    const key = await services.keys.getKey(ctx.account.id, id);
    return <RollKeyDialog base={baseOf(ctx)} apiKey={key} now={services.now()} />;
  });

  keyDialog('delete', async (ctx, id) => {
    const { key, usage, now, targets } = await loadKey(ctx.account.id, id);
    return <DeleteKeyDialog base={baseOf(ctx)} apiKey={key} usage={usage} now={now} targets={targets} />;
  });

  app.post(
    `${path}/:id/edit`,
    { ...manage, schema: { params: KeyParams, body: EditForm, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const current = await services.keys.getKey(ctx.account.id, request.params.id);
      // Admin keys have no targets: their form has none, and sending none must not mean "clear".
      const deployTargets =
        targetKindFor(current.kind) === null ? undefined : asList(request.body.deployTargets);
      // The form sends the expiry back as it showed it (to the minute): unchanged, it is left as
      // it is, neither rounded nor refused for being past (a key that expired can be renamed).
      const expiryUnchanged =
        current.expiresAt !== null && request.body.expiresAt === expiryField(current.expiresAt);
      const key = await services.keys.updateKey(
        ctx.account.id,
        current.id,
        {
          name: request.body.name,
          deployTargets,
          expiresAt: expiryUnchanged ? undefined : formExpiry(request.body.expiresAt),
          rateLimit: formRateLimit(request.body.rateLimit),
          // Only a JS key's form has the field; for other kinds it is not a change.
          allowedOrigins: current.kind === 'js' ? formOrigins(request.body.allowedOrigins) : undefined,
        },
        auditActor(request),
      );
      return replies.changed(reply, ctx, `Saved API key "${key.name}".`, { highlight: key.id });
    },
  );

  app.post(
    `${path}/:id/roll`,
    { ...manage, schema: { params: KeyParams, body: RollForm, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const graceSeconds = Number(request.body.graceSeconds);
      const { key, secret } = await services.keys.rollKey(
        ctx.account.id,
        request.params.id,
        graceSeconds,
        auditActor(request),
      );
      const targets = await services.deployTargets.list(ctx.account.id);
      // The end the roll gave the previous secret (now, for a grace of 0).
      const previousValidUntil = key.secrets[1]?.validUntil ?? services.now();
      reply.header('cache-control', 'no-store');
      return replies.changed(reply, ctx, `Rolled API key "${key.name}".`, {
        highlight: key.id,
        modal: (
          <NewSecretDialog
            ctx={ctx}
            apiKey={key}
            secret={secret}
            targets={targets}
            previousValidUntil={previousValidUntil}
            previousEndsNow={graceSeconds === 0}
          />
        ),
      });
    },
  );

  app.post(
    `${path}/:id/roll/end`,
    { ...manage, schema: { params: KeyParams, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const key = await services.keys.endGrace(ctx.account.id, request.params.id, auditActor(request));
      return replies.changed(reply, ctx, `The previous secret of "${key.name}" no longer works.`, {
        highlight: key.id,
      });
    },
  );

  app.post(
    `${path}/:id/delete`,
    { ...manage, schema: { params: KeyParams, body: DeleteForm.optional(), hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      // An empty field is no confirmation (the person typed nothing).
      const confirmName = request.body?.confirm || undefined;
      const key = await services.keys.deleteKey(ctx.account.id, request.params.id, auditActor(request), {
        confirmName,
      });
      return replies.changed(reply, ctx, `Deleted API key "${key.name}". It no longer works.`);
    },
  );

  app.get(
    `${path}/:id/script-tags`,
    { ...manage, schema: { params: KeyParams, hide: true } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const key = await services.keys.getKey(ctx.account.id, request.params.id);
      if (key.kind !== 'js' || key.publicToken === null) {
        return reply.callNotFound();
      }
      const targets = await services.deployTargets.list(ctx.account.id);
      return replies.dialog(
        request,
        reply,
        ctx,
        <ScriptTagsDialog ctx={ctx} apiKey={key} targets={targets} />,
      );
    },
  );
}
