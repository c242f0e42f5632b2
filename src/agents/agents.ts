/**
 * Agents: experiments and targeting rules. A person writes an agent whole (`put` creates or
 * replaces); every change bumps the account's configuration and is deployed to its `automatic`
 * targets in the same transaction (targets/deployments.ts, through `ConfigurationChanges`).
 *
 * Decisions where the spec is silent:
 * - Absent fields take defaults: `name` = the code, `status` = `running`, `weight` = 1, `meta` = {},
 *   `conditions` = [], `goals` absent or null = every goal, `metaKeys` absent = the metadata keys
 *   the variations use, in order of first use.
 * - A running agent whose weights are all 0 is allowed: only its conditions choose (a targeting
 *   agent); when none holds, the runtime answers its first variation with policy `x`, uncounted.
 * - `pausedAt` may be set whatever the status (it is remembered for when the agent is paused);
 *   null while paused means the first variation.
 * - Metadata values and condition values may be sent as numbers or booleans; they are stored
 *   and answered as strings (the runtime's `md` is always strings).
 * - A `put` identical to what is stored changes nothing: same version, no deployment.
 * - `remove` deletes the agent (archiving is the `archived` status); it disappears from the next
 *   snapshot, and its code may be used again.
 *
 * Over 400 lines on purpose: the agent's input schema and every check on it (variations,
 * conditions, eligibility, exclusion, allocation) read in one place, as the API documents them.
 */

import type { Kysely } from 'kysely';
import { z } from 'zod';
import type { ActorLike, AuditRecorder } from '../audit/audit-log.js';
import { InvalidInputError, NotFoundError } from '../kernel/errors.js';
import type { Database } from '../store/schema.js';
import {
  type AdaptiveWeights,
  insertAdaptiveWeights,
  selectAdaptiveWeightHistory,
} from './adaptive-weights-store.js';
import {
  type Agent,
  type AgentDefinition,
  deleteAgent,
  saveAgent,
  selectAgent,
  selectAgents,
} from './agent-store.js';
import type { ConfigurationChanges } from './configuration.js';
import { selectGoalCodes } from './goal-store.js';
import { GoalCode } from './goals.js';
import {
  type ConditionClause,
  RULE_OPS,
  type SnapshotCondition,
  type SnapshotVariation,
  VISITOR_FACTS,
  type VisitorFact,
} from './snapshot.js';

export type { Agent, AgentDefinition } from './agent-store.js';

/** In the order an agent goes through them; a draft is being prepared and answers nothing yet. */
export const AGENT_STATUSES = ['draft', 'running', 'paused', 'stopped', 'archived'] as const;

export const AGENT_CODE = /^a-[A-Za-z0-9_-]+$/;
export const AgentCode = z
  .string()
  .max(100, 'an agent code is at most 100 characters')
  .regex(AGENT_CODE, 'an agent code is a- followed by letters, digits, - or _ (like a-checkout-button)');

const VariationCode = z
  .string()
  .max(64, 'a variation code is at most 64 characters')
  .regex(/^[A-Za-z0-9_-]+$/, 'a variation code is letters, digits, - or _ (like A or B)');

const Label = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

const MetaKey = z
  .string()
  .min(1, 'a metadata key must not be empty')
  .max(100, 'a metadata key is at most 100 characters')
  // A JavaScript object cannot hold it as a plain key, so `md` could not carry it.
  .refine((key) => key !== '__proto__', 'a metadata key cannot be __proto__');

/** A string, or a number or boolean taken as its string form. */
const StringLike = z
  .union([z.string().max(10_000), z.number(), z.boolean()], { error: 'must be a string' })
  .transform(String);

export const MAX_WEIGHT = 1_000_000;
const MAX_META_KEYS = 100;

const Variation = z.object({
  code: VariationCode,
  name: Label.nullish().transform((v) => v ?? undefined),
  weight: z
    .number({ error: 'a weight is a finite number, 0 or more' })
    .min(0, 'a weight is 0 or more (0 keeps the variation out of random allocation)')
    // Weights are relative; a bound keeps their sum finite, which allocation divides by.
    .max(
      MAX_WEIGHT,
      `a weight is at most ${MAX_WEIGHT.toLocaleString('en-US')} (weights are relative: 1 and 3 split 25/75)`,
    )
    .default(1),
  meta: z.record(MetaKey, StringLike).default({}),
});

const TRAIT = /^[^/\s:]+\/[^:]+:.+$/;
const EqualsClause = z.union(
  [
    z.strictObject({ input: z.string().min(1).max(100), is: StringLike }),
    z.strictObject({
      trait: z
        .string()
        .max(300)
        .regex(
          TRAIT,
          'a trait is namespaced: cust/GROUP:VALUE for a trait sent as traits=GROUP:VALUE, or ua/mo:y, ua/mo:n',
        ),
    }),
  ],
  { error: 'a clause is {"input": NAME, "is": VALUE} or {"trait": "cust/GROUP:VALUE"}' },
);

// ---- aiming: clauses with operators, eligibility, exclusion (docs/targeting.md) --------------
const TRAIT_GROUP = /^[^/\s:]+\/[^:]+$/;
const NUMERIC_OPS: ReadonlySet<string> = new Set(['lt', 'lte', 'gt', 'gte']);
const VISITOR_VALUES: Record<VisitorFact, readonly string[] | null> = {
  status: ['new', 'returning'],
  weekday: ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'],
  hour: null,
};

const RuleClause = z
  .strictObject({
    input: z.string().min(1).max(100).optional(),
    trait: z
      .string()
      .max(300)
      .regex(TRAIT_GROUP, 'with an op, trait names a trait group: cust/GROUP (or ua/mo)')
      .optional(),
    visitor: z.enum(VISITOR_FACTS, { error: `visitor is one of ${VISITOR_FACTS.join(', ')}` }).optional(),
    op: z.enum(RULE_OPS, { error: `op is one of ${RULE_OPS.join(', ')}` }),
    value: StringLike.optional(),
    values: z.array(StringLike).min(1, 'values lists at least one value').max(1000).optional(),
  })
  .superRefine((c, ctx) => {
    const subjects = [c.input, c.trait, c.visitor].filter((s) => s !== undefined).length;
    if (subjects !== 1) {
      ctx.addIssue({
        code: 'custom',
        path: [],
        message: 'a rule names exactly one of input, trait or visitor',
      });
      return;
    }
    const needs = c.op === 'in' ? 'values' : c.op === 'exists' || c.op === 'notExists' ? 'nothing' : 'value';
    // What is missing is named before what is extra: it is the likelier mistake.
    if (needs === 'values' && c.values === undefined)
      ctx.addIssue({ code: 'custom', path: ['values'], message: 'op in needs values: a list' });
    if (needs === 'value' && c.value === undefined)
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op ${c.op} needs a value` });
    if (needs !== 'values' && c.values !== undefined)
      ctx.addIssue({ code: 'custom', path: ['values'], message: `op ${c.op} takes no values list` });
    if (needs !== 'value' && c.value !== undefined)
      ctx.addIssue({ code: 'custom', path: ['value'], message: `op ${c.op} takes no single value` });
    if (NUMERIC_OPS.has(c.op) && c.value !== undefined && !Number.isFinite(Number(c.value)))
      ctx.addIssue({
        code: 'custom',
        path: ['value'],
        message: `op ${c.op} compares numbers: value is a number`,
      });
    const allowed = c.visitor === undefined ? null : VISITOR_VALUES[c.visitor];
    if (allowed !== null) {
      const given = c.value !== undefined ? [c.value] : (c.values ?? []);
      const path = c.value !== undefined ? ['value'] : ['values'];
      if (given.some((v) => !allowed.includes(v)))
        ctx.addIssue({
          code: 'custom',
          path,
          message: `visitor ${c.visitor} is one of ${allowed.join(', ')}`,
        });
    }
  });

/**
 * A clause: one with `op` is a rule (its wrong field is named), any other is one of the two
 * first forms, kept as they always were.
 */
export const Clause = z.unknown().transform((value, ctx): ConditionClause => {
  const schema = typeof value === 'object' && value !== null && 'op' in value ? RuleClause : EqualsClause;
  const parsed = schema.safeParse(value);
  if (parsed.success) return parsed.data as ConditionClause;
  for (const issue of parsed.error.issues)
    ctx.addIssue({ code: 'custom', path: issue.path, message: issue.message });
  return z.NEVER;
});

export const Match = z.enum(['all', 'any'], { error: 'match is all or any' });

const Eligibility = z.object({
  match: Match.default('all'),
  rules: z.array(Clause).max(50, 'eligibility has at most 50 rules'),
});

const Exclusion = z.object({
  group: z
    .string()
    .min(1)
    .max(64, 'a group name is at most 64 characters')
    .regex(/^[A-Za-z0-9_-]+$/, 'a group name is letters, digits, - or _ (like checkout)'),
  weight: z
    .number({ error: 'a weight is a finite number, 0 or more' })
    .min(0, 'a weight is 0 or more (0 takes no new sessions)')
    .max(MAX_WEIGHT, `a weight is at most ${MAX_WEIGHT.toLocaleString('en-US')}`)
    .default(1),
});
// ---- end of aiming ---------------------------------------------------------------------------

const Condition = z.object({
  when: z.array(Clause).max(50, 'a condition has at most 50 clauses'),
  match: Match.optional(),
  // biome-ignore lint/suspicious/noThenProperty: the spec names the field; a string is never a thenable
  then: VariationCode,
});

/**
 * What `put` accepts: the agent resource of spec 3.3. Fields the server manages (version,
 * timestamps) and unknown fields are ignored, so what `get` answered can be sent back.
 */
export const AgentInput = z.object({
  /** must match the code in the URL when present */
  code: z.string().optional(),
  name: Label.optional(),
  status: z
    .enum(AGENT_STATUSES, { error: `status is one of ${AGENT_STATUSES.join(', ')}` })
    .default('running'),
  pausedAt: VariationCode.nullish().transform((v) => v ?? null),
  metaKeys: z.array(MetaKey).max(MAX_META_KEYS, `at most ${MAX_META_KEYS} metadata keys`).optional(),
  variations: z
    .array(Variation, { error: 'variations is a list of {"code", "name", "weight", "meta"}' })
    .min(1, 'an agent needs at least one variation')
    .max(100, 'an agent has at most 100 variations'),
  conditions: z.array(Condition).max(500, 'an agent has at most 500 conditions').default([]),
  goals: z
    .array(GoalCode)
    .max(1000)
    .nullish()
    .transform((v) => v ?? null),
  // aiming (docs/targeting.md)
  eligibility: Eligibility.nullish().transform((v) => v ?? undefined),
  exclusion: Exclusion.nullish().transform((v) => v ?? undefined),
  qaOnly: z.boolean({ error: 'qaOnly is true or false' }).nullish(),
  allocation: z.enum(['random', 'adaptive'], { error: 'allocation is random or adaptive' }).optional(),
});
export type AgentInput = z.input<typeof AgentInput>;

export interface AgentService {
  /** every agent of the account, by code */
  list(accountId: string): Promise<Agent[]>;
  get(accountId: string, code: string): Promise<Agent>;
  /** creates or replaces the agent; `created` tells which */
  put(
    accountId: string,
    code: string,
    input: AgentInput,
    by?: ActorLike,
  ): Promise<{ agent: Agent; created: boolean }>;
  /** deletes the agent and answers what it was */
  remove(accountId: string, code: string, by?: ActorLike): Promise<Agent>;
  /**
   * Publishes weights learned by adaptive allocation as a new configuration version (deployed to
   * the automatic targets with it, so every server and script tag applies the same weights).
   * Answers the version, or null when the agent is gone or no longer adaptive.
   */
  publishAdaptiveWeights(
    accountId: string,
    code: string,
    weights: Record<string, number>,
    at: number,
  ): Promise<number | null>;
  /** every publication of the agent's learned weights, oldest first */
  adaptiveWeightHistory(accountId: string, code: string): Promise<AdaptiveWeights[]>;
}

function parseInput(code: string, input: unknown): z.output<typeof AgentInput> {
  const codeCheck = AgentCode.safeParse(code);
  if (!codeCheck.success) throw new InvalidInputError('code', codeCheck.error.issues[0].message);
  const parsed = AgentInput.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new InvalidInputError(
      issue.path.length > 0 ? issue.path.map(String).join('.') : 'agent',
      issue.message,
    );
  }
  if (parsed.data.code !== undefined && parsed.data.code !== code) {
    throw new InvalidInputError(
      'code',
      `the body's code ${JSON.stringify(parsed.data.code)} differs from the URL's ${code}; an agent's code cannot be changed`,
    );
  }
  return parsed.data;
}

/** Checks that need the agent as a whole; answers the definition to store. */
function definitionOf(code: string, input: z.output<typeof AgentInput>): AgentDefinition {
  const variationCodes = new Set<string>();
  input.variations.forEach((v, i) => {
    if (variationCodes.has(v.code)) {
      throw new InvalidInputError(`variations.${i}.code`, `variation ${v.code} appears twice in ${code}`);
    }
    variationCodes.add(v.code);
  });
  const known = [...variationCodes].join(', ');
  if (input.pausedAt !== null && !variationCodes.has(input.pausedAt)) {
    throw new InvalidInputError(
      'pausedAt',
      `${input.pausedAt} is not a variation of ${code} (it has ${known})`,
    );
  }
  input.conditions.forEach((c, i) => {
    if (!variationCodes.has(c.then)) {
      throw new InvalidInputError(
        `conditions.${i}.then`,
        `condition ${i + 1} answers ${c.then}, which is not a variation of ${code} (it has ${known})`,
      );
    }
  });

  let metaKeys: string[];
  if (input.metaKeys === undefined) {
    metaKeys = [...new Set(input.variations.flatMap((v) => Object.keys(v.meta)))];
    // The same bound as a metaKeys list, or what GET answers could not be sent back.
    if (metaKeys.length > MAX_META_KEYS) {
      throw new InvalidInputError(
        'variations',
        `the variations' metadata has ${metaKeys.length} different keys; an agent has at most ${MAX_META_KEYS}`,
      );
    }
  } else {
    metaKeys = input.metaKeys;
    const seen = new Set<string>();
    metaKeys.forEach((k, i) => {
      if (seen.has(k)) throw new InvalidInputError(`metaKeys.${i}`, `metadata key ${k} is listed twice`);
      seen.add(k);
    });
    input.variations.forEach((v, i) => {
      for (const k of Object.keys(v.meta)) {
        if (!seen.has(k)) {
          throw new InvalidInputError(
            `variations.${i}.meta.${k}`,
            `variation ${v.code} has metadata ${k}, which is not in metaKeys (${metaKeys.join(', ') || 'none'}); add it there`,
          );
        }
      }
    });
  }

  const variations: SnapshotVariation[] = input.variations.map((v) => ({
    code: v.code,
    ...(v.name === undefined ? {} : { name: v.name }),
    weight: v.weight,
    meta: v.meta,
  }));
  // zod kept only `when` and `then` of each condition.
  const conditions: SnapshotCondition[] = input.conditions;
  return {
    name: input.name ?? code,
    status: input.status,
    pausedAt: input.pausedAt,
    metaKeys,
    variations,
    conditions,
    goals: input.goals === null ? null : [...new Set(input.goals)],
    ...(input.eligibility ? { eligibility: input.eligibility } : {}),
    ...(input.exclusion ? { exclusion: input.exclusion } : {}),
    ...(input.qaOnly === true ? { qaOnly: true as const } : {}),
    // Random is the default and is left out, so the resource of a random agent is as it always was.
    ...(input.allocation === 'adaptive' ? { allocation: 'adaptive' as const } : {}),
  };
}

/** The definition's fields in a fixed order, to tell whether a `put` changes anything. */
function sameDefinition(a: AgentDefinition, b: AgentDefinition): boolean {
  const canonical = (d: AgentDefinition) =>
    JSON.stringify([
      d.name,
      d.status,
      d.pausedAt,
      d.metaKeys,
      d.variations,
      d.conditions,
      d.goals,
      d.eligibility ?? null,
      d.exclusion ?? null,
      d.qaOnly ?? false,
      d.allocation ?? 'random',
    ]);
  return canonical(a) === canonical(b);
}

async function checkGoals(trx: Kysely<Database>, accountId: string, goals: string[] | null): Promise<void> {
  if (goals === null || goals.length === 0) return;
  const known = await selectGoalCodes(trx, accountId);
  goals.forEach((g, i) => {
    if (!known.has(g)) {
      throw new InvalidInputError(
        `goals.${i}`,
        `no goal ${g} in this account; create it first (PUT .../goals/${g})`,
      );
    }
  });
}

/** An agent as the audit log shows it: its definition, without the server's counters. */
function audited(agent: Agent) {
  const { version: _version, createdAt: _created, updatedAt: _updated, ...definition } = agent;
  return definition;
}

export function createAgentService(
  db: Kysely<Database>,
  deployments: ConfigurationChanges,
  audit: AuditRecorder,
): AgentService {
  const notFound = (code: string) => new NotFoundError('agent_not_found', `No agent ${code} in this account`);

  return {
    list(accountId) {
      return selectAgents(db, accountId);
    },

    async get(accountId, code) {
      const agent = await selectAgent(db, accountId, code);
      if (!agent) throw notFound(code);
      return agent;
    },

    async put(accountId, code, input, by) {
      const definition = definitionOf(code, parseInput(code, input));
      const current = await selectAgent(db, accountId, code);
      if (current && sameDefinition(current, definition)) return { agent: current, created: false };
      return deployments.change(accountId, async (trx) => {
        await checkGoals(trx, accountId, definition.goals);
        const existing = await selectAgent(trx, accountId, code);
        const now = Date.now();
        const agent: Agent = {
          code,
          ...definition,
          version: (existing?.version ?? 0) + 1,
          createdAt: existing?.createdAt ?? now,
          updatedAt: now,
        };
        await saveAgent(trx, accountId, agent, existing === undefined);
        await audit.record(
          trx,
          by,
          {
            accountId,
            action: existing === undefined ? 'agent.create' : 'agent.update',
            targetType: 'agent',
            targetId: code,
            before: existing ? audited(existing) : null,
            after: audited(agent),
          },
          now,
        );
        return { agent, created: existing === undefined };
      });
    },

    async publishAdaptiveWeights(accountId, code, weights, at) {
      const agent = await selectAgent(db, accountId, code);
      if (agent?.allocation !== 'adaptive') return null;
      return deployments.change(accountId, async (trx, version) => {
        // Checked again under the configuration lock: a change may have landed in between.
        const current = await selectAgent(trx, accountId, code);
        if (current?.allocation !== 'adaptive') return null;
        await insertAdaptiveWeights(trx, accountId, { agent: code, version, at, weights });
        return version;
      });
    },

    adaptiveWeightHistory(accountId, code) {
      return selectAdaptiveWeightHistory(db, accountId, code);
    },

    async remove(accountId, code, by) {
      return deployments.change(accountId, async (trx) => {
        const existing = await selectAgent(trx, accountId, code);
        if (!existing) throw notFound(code);
        await deleteAgent(trx, accountId, code);
        await audit.record(trx, by, {
          accountId,
          action: 'agent.delete',
          targetType: 'agent',
          targetId: code,
          before: audited(existing),
          after: null,
        });
        return existing;
      });
    },
  };
}
