/**
 * Goals: conversions that rewards credit. Written whole (`put` creates or replaces); every change
 * is deployed like an agent change (targets/deployments.ts, through `ConfigurationChanges`).
 *
 * Decisions where the spec is silent:
 * - `name` defaults to the code and `value` to 1; a value may be any finite number (a refund
 *   goal may be negative).
 * - A `put` identical to what is stored changes nothing: same version, no deployment.
 * - `remove` deletes the goal, but not while an agent's goal list names it (409 `goal_in_use`,
 *   naming the agents): removing it from their lists silently could leave a list empty, which
 *   would mean "tracks nothing" rather than "tracks every goal".
 */
import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { ActorLike, AuditRecorder } from '../audit/audit-log.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../kernel/errors.js';
import type { Database } from '../store/schema.js';
import { selectAgentsTrackingGoal } from './agent-store.js';
import type { ConfigurationChanges } from './configuration.js';
import { deleteGoal, type Goal, saveGoal, selectGoal, selectGoals } from './goal-store.js';

export type { Goal } from './goal-store.js';

export const GOAL_CODE = /^g-[A-Za-z0-9_-]+$/;
export const GoalCode = z
  .string()
  .max(100, 'a goal code is at most 100 characters')
  .regex(GOAL_CODE, 'a goal code is g- followed by letters, digits, - or _ (like g-signed-up)');

/**
 * The largest value a goal or a reward carries, either sign. Reports keep sums of values and of
 * their squares per variation; bounded values keep those sums finite (a single 1e200 would make
 * the sum of squares Infinity, and the report's statistics with it) while leaving room for any
 * real amount (a billion in any currency).
 */
export const MAX_REWARD_VALUE = 1_000_000_000;

export const RewardValue = z
  .number({ error: 'a value is a finite number' })
  .min(-MAX_REWARD_VALUE, `a value is at least -${MAX_REWARD_VALUE.toLocaleString('en-US')}`)
  .max(MAX_REWARD_VALUE, `a value is at most ${MAX_REWARD_VALUE.toLocaleString('en-US')}`);

/**
 * What `put` accepts: the goal resource of spec 3.3. Server-managed and unknown fields are
 * ignored, so what `get` answered can be sent back.
 */
export const GoalInput = z.object({
  /** must match the code in the URL when present */
  code: z.string().optional(),
  name: z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters').optional(),
  /** the default credited by a reward */
  value: RewardValue.default(1),
});
export type GoalInput = z.input<typeof GoalInput>;

export interface GoalService {
  /** every goal of the account, by code */
  list(accountId: string): Promise<Goal[]>;
  get(accountId: string, code: string): Promise<Goal>;
  /** creates or replaces the goal; `created` tells which */
  put(
    accountId: string,
    code: string,
    input: GoalInput,
    by?: ActorLike,
  ): Promise<{ goal: Goal; created: boolean }>;
  /** deletes the goal and answers what it was */
  remove(accountId: string, code: string, by?: ActorLike): Promise<Goal>;
}

function parseInput(code: string, input: unknown): { name: string; value: number } {
  const codeCheck = GoalCode.safeParse(code);
  if (!codeCheck.success) throw new InvalidInputError('code', codeCheck.error.issues[0].message);
  const parsed = GoalInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(
      issue.path.length > 0 ? issue.path.map(String).join('.') : 'goal',
      issue.message,
    );
  }
  if (parsed.data.code !== undefined && parsed.data.code !== code) {
    throw new InvalidInputError(
      'code',
      `the body's code ${JSON.stringify(parsed.data.code)} differs from the URL's ${code}; a goal's code cannot be changed`,
    );
  }
  return { name: parsed.data.name ?? code, value: parsed.data.value };
}

export function createGoalService(
  db: Kysely<Database>,
  deployments: ConfigurationChanges,
  audit: AuditRecorder,
): GoalService {
  const notFound = (code: string) => new NotFoundError('goal_not_found', `No goal ${code} in this account`);

  return {
    list(accountId) {
      return selectGoals(db, accountId);
    },

    async get(accountId, code) {
      const goal = await selectGoal(db, accountId, code);
      if (!goal) throw notFound(code);
      return goal;
    },

    async put(accountId, code, input, by) {
      const definition = parseInput(code, input);
      const current = await selectGoal(db, accountId, code);
      if (current && current.name === definition.name && current.value === definition.value) {
        return { goal: current, created: false };
      }
      return deployments.change(accountId, async (trx) => {
        const existing = await selectGoal(trx, accountId, code);
        const now = Date.now();
        const goal: Goal = {
          code,
          ...definition,
          version: (existing?.version ?? 0) + 1,
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
        };
        await saveGoal(trx, accountId, goal, existing === undefined);
        await audit.record(
          trx,
          by,
          {
            accountId,
            action: existing === undefined ? 'goal.create' : 'goal.update',
            targetType: 'goal',
            targetId: code,
            before: existing ? { name: existing.name, value: existing.value } : null,
            after: { name: goal.name, value: goal.value },
          },
          now,
        );
        return { goal, created: existing === undefined };
      });
    },

    async remove(accountId, code, by) {
      return deployments.change(accountId, async (trx) => {
        const existing = await selectGoal(trx, accountId, code);
        if (!existing) throw notFound(code);
        const tracking = await selectAgentsTrackingGoal(trx, accountId, code);
        if (tracking.length > 0) {
          throw new ConflictError(
            'goal_in_use',
            `Goal ${code} is in the goal list of agents ${tracking.join(', ')}; remove it from those agents first`,
          );
        }
        await deleteGoal(trx, accountId, code);
        await audit.record(trx, by, {
          accountId,
          action: 'goal.delete',
          targetType: 'goal',
          targetId: code,
          before: { name: existing.name, value: existing.value },
          after: null,
        });
        return existing;
      });
    },
  };
}
