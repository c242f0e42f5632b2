/**
 * The agent editor's form: its fields are turned into the same input as the Admin API's PUT and go
 * through services.agents, which checks it. Blank rows are ignored.
 */
import { z } from 'zod';
import type { AgentInput } from '../../agents/agents.js';
import type { ConditionClause } from '../../agents/snapshot.js';
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

  const conditions: { when: ConditionClause[]; then: string }[] = [];
  for (let i = 0; i < 500 && `c${i}.then` in body; i++) {
    const then = field(body, `c${i}.then`);
    const when: ConditionClause[] = [];
    for (let k = 0; k < 50 && `c${i}.w${k}.name` in body; k++) {
      const kind = field(body, `c${i}.w${k}.kind`);
      const name = field(body, `c${i}.w${k}.name`);
      const value = field(body, `c${i}.w${k}.value`);
      if (name === '' && value === '') continue;
      if (kind === 'trait') when.push({ trait: value === '' ? name : `${name}:${value}` });
      else when.push({ input: name, is: value });
    }
    if (then === '') {
      if (when.length > 0) {
        throw new InvalidInputError(
          `conditions.${i}.then`,
          `Condition ${i + 1} needs a variation to answer.`,
        );
      }
      continue;
    }
    conditions.push({ when, then });
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
    ...(field(body, 'allocation') === 'adaptive' ? { allocation: 'adaptive' as const } : {}),
  };
}
