/** The trait form: a group name and its rules as JSON (the Admin API's `rules`), checked by services.traits. */
import { z } from 'zod';
import type { TraitInput } from '../../agents/traits.js';
import { InvalidInputError } from '../../kernel/errors.js';
import { AccountParams } from '../kit/params.js';

export const TraitParams = AccountParams.extend({ group: z.string().min(1).max(100) });

export const TraitForm = z.object({
  group: z.string().max(100).optional(),
  rules: z.string().max(100_000).optional(),
});

export function traitInputFromForm(body: z.infer<typeof TraitForm>): { group: string; input: TraitInput } {
  let rules: unknown;
  try {
    rules = JSON.parse(body.rules?.trim() || '[]');
  } catch {
    throw new InvalidInputError('rules', 'The rules must be JSON: a list of {"value", "when": [...]}.');
  }
  return { group: body.group?.trim() ?? '', input: { rules: rules as TraitInput['rules'] } };
}
