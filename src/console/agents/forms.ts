/**
 * The agent editor's form: its fields are turned into the same input as the Admin API's PUT and go
 * through services.agents, which checks it. Blank rows are ignored.
 */
import { z } from 'zod';
import type { AgentInput } from '../../agents/agents.js';
import type { ConditionClause, RuleClause, RuleOp, VisitorFact } from '../../agents/snapshot.js';
import { InvalidInputError } from '../../kernel/errors.js';
import { AccountParams } from '../kit/params.js';

export const AgentParams = AccountParams.extend({ a: z.string().min(1).max(100) });

export const FormBodySchema = z.record(
  z.string().max(200),
  z.union([z.string().max(10_000), z.array(z.string().max(10_000)).max(1000)]),
);

/** Form fields as the form body gives them: one string, or several for repeated names. */
export type FormBody = Record<string, string | string[] | undefined>;

const field = (body: FormBody, name: string): string => {
  const value = body[name];
  return (Array.isArray(value) ? (value[0] ?? '') : (value ?? '')).trim();
};

const fields = (body: FormBody, name: string): string[] => {
  const value = body[name];
  return (Array.isArray(value) ? value : value === undefined ? [] : [value]).filter((v) => v !== '');
};

/**
 * The clause rows under a prefix (`c0`, `e`). No operator is the first form: an input equals the
 * value, or the session has the trait NAME:VALUE; `in` takes a comma-separated list.
 */
function clausesFromForm(body: FormBody, prefix: string): ConditionClause[] {
  const when: ConditionClause[] = [];
  for (let k = 0; k < 50 && `${prefix}.w${k}.name` in body; k++) {
    const kind = field(body, `${prefix}.w${k}.kind`);
    const name = field(body, `${prefix}.w${k}.name`);
    const op = field(body, `${prefix}.w${k}.op`);
    const value = field(body, `${prefix}.w${k}.value`);
    if (name === '' && value === '') continue;
    if (op === '') {
      if (kind === 'trait') when.push({ trait: value === '' ? name : `${name}:${value}` });
      else if (kind === 'visitor') when.push({ visitor: name as VisitorFact, op: 'eq', value });
      else when.push({ input: name, is: value });
      continue;
    }
    const subject =
      kind === 'trait'
        ? { trait: name }
        : kind === 'visitor'
          ? { visitor: name as VisitorFact }
          : { input: name };
    const rule: RuleClause = { ...subject, op: op as RuleOp };
    if (op === 'in')
      rule.values = value
        .split(',')
        .map((v) => v.trim())
        .filter((v) => v !== '');
    else if (op !== 'exists' && op !== 'notExists') rule.value = value;
    when.push(rule);
  }
  return when;
}

/**
 * Turns the editor's fields into the agent input of the Admin API. Only what the form cannot say
 * (a half-filled row) is refused here; everything else is checked by services.agents.
 */
export function agentInputFromForm(body: FormBody): AgentInput {
  const metaKeys: { index: number; key: string }[] = [];
  for (let j = 0; j < 200 && `mk${j}` in body; j++) {
    const key = field(body, `mk${j}`);
    if (key !== '') metaKeys.push({ index: j, key });
  }

  const variations: AgentInput['variations'] = [];
  for (let i = 0; i < 200 && `v${i}.code` in body; i++) {
    const code = field(body, `v${i}.code`);
    const name = field(body, `v${i}.name`);
    const weightText = field(body, `v${i}.weight`);
    const meta: Record<string, string> = {};
    for (const { index, key } of metaKeys) {
      const value = field(body, `v${i}.meta.${index}`);
      if (value !== '') meta[key] = value;
    }
    if (code === '') {
      if (name !== '' || Object.keys(meta).length > 0) {
        throw new InvalidInputError(`variations.${i}.code`, `Variation row ${i + 1} needs a code (like C).`);
      }
      continue;
    }
    const weight = weightText === '' ? 1 : Number(weightText);
    if (!Number.isFinite(weight)) {
      throw new InvalidInputError(
        `variations.${i}.weight`,
        `The weight of ${code} must be a number, 0 or more.`,
      );
    }
    variations.push({ code, ...(name === '' ? {} : { name }), weight, meta });
  }

  const conditions: { when: ConditionClause[]; match?: 'any'; then: string }[] = [];
  for (let i = 0; i < 500 && `c${i}.then` in body; i++) {
    const then = field(body, `c${i}.then`);
    const when = clausesFromForm(body, `c${i}`);
    if (then === '') {
      if (when.length > 0) {
        throw new InvalidInputError(
          `conditions.${i}.then`,
          `Condition ${i + 1} needs a variation to answer.`,
        );
      }
      continue;
    }
    conditions.push({
      when,
      ...(field(body, `c${i}.match`) === 'any' ? { match: 'any' as const } : {}),
      then,
    });
  }

  // aiming (docs/targeting.md)
  const eligibilityRules = clausesFromForm(body, 'e');
  const group = field(body, 'x.group');
  const weightText = field(body, 'x.weight');
  const exclusionWeight = weightText === '' ? 1 : Number(weightText);
  if (group !== '' && !Number.isFinite(exclusionWeight)) {
    throw new InvalidInputError('exclusion.weight', 'The weight in the group must be a number, 0 or more.');
  }

  const pausedAt = field(body, 'pausedAt');
  return {
    name: field(body, 'name') || undefined,
    status: field(body, 'status') as AgentInput['status'],
    pausedAt: pausedAt === '' ? null : pausedAt,
    metaKeys: metaKeys.map((m) => m.key),
    variations,
    conditions,
    goals: field(body, 'goalsMode') === 'some' ? fields(body, 'goals') : null,
    // absent when not set: an agent without them is written as it always was
    ...(eligibilityRules.length === 0
      ? {}
      : {
          eligibility: { match: field(body, 'e.match') === 'any' ? 'any' : 'all', rules: eligibilityRules },
        }),
    ...(group === '' ? {} : { exclusion: { group, weight: exclusionWeight } }),
    ...(field(body, 'qaOnly') === 'on' ? { qaOnly: true } : {}),
    ...(field(body, 'allocation') === 'adaptive' ? { allocation: 'adaptive' as const } : {}),
  };
}
