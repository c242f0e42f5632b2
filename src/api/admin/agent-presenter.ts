/** The agent resource of spec 3.3 as answered: what a person wrote, plus the server's version and timestamps. */
import { z } from 'zod';
import { AGENT_STATUSES, type Agent } from '../../agents/agents.js';
import { RULE_OPS, VISITOR_FACTS } from '../../agents/snapshot.js';
import { IsoTime, iso } from '../../web/schemas.js';

const Variation = z.object({
  code: z.string(),
  name: z.string().optional(),
  weight: z.number(),
  meta: z.record(z.string(), z.string()),
});

const RuleClause = z.object({
  input: z.string().optional(),
  trait: z.string().optional(),
  visitor: z.enum(VISITOR_FACTS).optional(),
  op: z.enum(RULE_OPS),
  value: z.string().optional(),
  values: z.array(z.string()).optional(),
});

// The rule form first: a serializer trying `{trait}` first would strip a rule's op and value.
export const Clause = z.union([
  RuleClause,
  z.object({ input: z.string(), is: z.string() }),
  z.object({ trait: z.string() }),
]);

export const Match = z.enum(['all', 'any']);

const Condition = z.object({
  when: z.array(Clause),
  match: Match.optional().describe('all (the default) or any of the clauses must hold'),
  // biome-ignore lint/suspicious/noThenProperty: the spec names the field; a string is never a thenable
  then: z.string(),
});

export const AgentRecord = z.object({
  code: z.string(),
  name: z.string(),
  status: z.enum(AGENT_STATUSES),
  pausedAt: z.string().nullable().describe('variation answered while paused; null: the first'),
  metaKeys: z.array(z.string()),
  variations: z.array(Variation),
  conditions: z.array(Condition),
  goals: z.array(z.string()).nullable().describe('goals the agent tracks; null: every goal'),
  eligibility: z
    .object({ match: Match, rules: z.array(Clause) })
    .optional()
    .describe('who takes part; others get policy x, not counted (absent: everyone)'),
  exclusion: z
    .object({ group: z.string(), weight: z.number() })
    .optional()
    .describe('mutual-exclusion group: a session takes part in at most one of its agents'),
  qaOnly: z.literal(true).optional().describe('answers QA sessions only'),
  allocation: z
    .literal('adaptive')
    .optional()
    .describe(
      "adaptive: weights learned from the first goal's results (policy a); absent: random, by the variations' weights",
    ),
  version: z.number(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

export function agentRecord(agent: Agent): z.input<typeof AgentRecord> {
  return {
    code: agent.code,
    name: agent.name,
    status: agent.status,
    pausedAt: agent.pausedAt,
    metaKeys: agent.metaKeys,
    variations: agent.variations,
    conditions: agent.conditions,
    goals: agent.goals,
    eligibility: agent.eligibility,
    exclusion: agent.exclusion,
    qaOnly: agent.qaOnly,
    ...(agent.allocation === 'adaptive' ? { allocation: agent.allocation } : {}),
    version: agent.version,
    createdAt: iso(agent.createdAt),
    updatedAt: iso(agent.updatedAt),
  };
}
