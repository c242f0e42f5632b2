/** The routes of Goals; changes need `change` (Agent Authors and above). */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { InvalidInputError } from '../../kernel/errors.js';
import { auditActor } from '../../web/actor.js';
import type { Services } from '../../web/services.js';
import { type AccountContext, accountContext } from '../kit/context.js';
import { panelReplies } from '../kit/dialog.js';
import { CONSOLE, sendHtml } from '../kit/html.js';
import { AccountParams } from '../kit/params.js';
import { DeleteGoalDialog, GoalDialog } from './dialogs.js';
import { GoalForm, GoalParams, goalInput } from './forms.js';
import { GoalsPage, GoalsPanel } from './pages.js';

export type GoalPageServices = Pick<Services, 'accounts' | 'agents' | 'goals'>;

export function registerGoalPages(root: FastifyInstance, services: GoalPageServices): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const hide = true;
  const read = { config: { permission: 'read' } } as const;
  const change = { config: { permission: 'change' } } as const;

  async function goalsData(accountId: string) {
    const [goals, agents] = await Promise.all([
      services.goals.list(accountId),
      services.agents.list(accountId),
    ]);
    return { goals, agents };
  }

  const replies = panelReplies({
    load: goalsData,
    page: (ctx, data, modal) => <GoalsPage ctx={ctx} {...data} modal={modal} />,
    panel: (ctx, data, highlight) => <GoalsPanel ctx={ctx} {...data} highlight={highlight} />,
  });

  const goalsBase = (ctx: AccountContext) => `${CONSOLE}/${ctx.account.id}/goals`;

  app.get('/:acc/goals', { ...read, schema: { params: AccountParams, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    return sendHtml(reply, <GoalsPage ctx={ctx} {...(await goalsData(ctx.account.id))} />);
  });

  app.get(
    '/:acc/goals/new',
    { ...change, schema: { params: AccountParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      return replies.dialog(request, reply, ctx, <GoalDialog base={goalsBase(ctx)} />);
    },
  );

  app.post(
    '/:acc/goals',
    { ...change, schema: { params: AccountParams, body: GoalForm, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const code = request.body.code?.trim() ?? '';
      if ((await services.goals.list(ctx.account.id)).some((g) => g.code === code)) {
        throw new InvalidInputError('code', `There is already a goal ${code}; choose another code.`);
      }
      const { goal } = await services.goals.put(
        ctx.account.id,
        code,
        goalInput(request.body),
        auditActor(request),
      );
      return replies.changed(reply, ctx, `Created goal ${goal.code}.`, { highlight: goal.code });
    },
  );

  app.get('/:acc/goals/:g', { ...read, schema: { params: GoalParams, hide } }, async (request, reply) => {
    const ctx = await accountContext(services, request, request.params.acc);
    const goal = await services.goals.get(ctx.account.id, request.params.g);
    if (!ctx.can('change')) {
      // Nothing to edit for a reader: the goal in the list says it all.
      return reply.redirect(`${goalsBase(ctx)}#goal-${goal.code}`, 303);
    }
    return replies.dialog(request, reply, ctx, <GoalDialog base={goalsBase(ctx)} goal={goal} />);
  });

  app.post(
    '/:acc/goals/:g',
    { ...change, schema: { params: GoalParams, body: GoalForm, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      await services.goals.get(ctx.account.id, request.params.g);
      const { goal } = await services.goals.put(
        ctx.account.id,
        request.params.g,
        goalInput(request.body),
        auditActor(request),
      );
      return replies.changed(reply, ctx, `Saved goal ${goal.code}.`, { highlight: goal.code });
    },
  );

  app.get(
    '/:acc/goals/:g/delete',
    { ...change, schema: { params: GoalParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const goal = await services.goals.get(ctx.account.id, request.params.g);
      return replies.dialog(request, reply, ctx, <DeleteGoalDialog base={goalsBase(ctx)} goal={goal} />);
    },
  );

  app.post(
    '/:acc/goals/:g/delete',
    { ...change, schema: { params: GoalParams, hide } },
    async (request, reply) => {
      const ctx = await accountContext(services, request, request.params.acc);
      const goal = await services.goals.remove(ctx.account.id, request.params.g, auditActor(request));
      return replies.changed(reply, ctx, `Deleted goal ${goal.code}.`);
    },
  );
}
