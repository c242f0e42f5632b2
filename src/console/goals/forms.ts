/** The goal form, and how its fields become a goal's settings. */
import { z } from 'zod';
import { InvalidInputError } from '../../kernel/errors.js';
import { AccountParams } from '../kit/params.js';

export const GoalParams = AccountParams.extend({ g: z.string().min(1).max(100) });

export const GoalForm = z.object({
  code: z.string().max(100).optional(),
  name: z.string().max(200).optional(),
  value: z.string().max(50).optional(),
});

export function goalInput(body: z.infer<typeof GoalForm>) {
  const text = body.value?.trim() ?? '';
  const value = text === '' ? 1 : Number(text);
  if (!Number.isFinite(value)) throw new InvalidInputError('value', 'The default value must be a number.');
  return { name: body.name?.trim() || undefined, value };
}
