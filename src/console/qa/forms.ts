/** The QA forms: a QA session, and a playground request, from text fields. */
import { z } from 'zod';
import { InvalidInputError } from '../../kernel/errors.js';
import type { QaSessionInput } from '../../targets/qa-sessions.js';
import { AccountParams } from '../kit/params.js';

export const QaCodeParams = AccountParams.extend({ code: z.string().min(1).max(100) });

export const QaForm = z.object({
  deployTarget: z.string().max(100).optional(),
  name: z.string().max(200).optional(),
  forced: z.string().max(10_000).optional(),
  hours: z.string().max(20).optional(),
});

export const PlaygroundForm = z.object({
  deployTarget: z.string().max(100).optional(),
  session: z.string().max(256).optional(),
  inputs: z.string().max(10_000).optional(),
  traits: z.string().max(10_000).optional(),
  at: z.string().max(40).optional(),
});

/** `name=value` lines (or comma-separated), blanks ignored. */
export function pairs(text: string | undefined, field: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (text ?? '').split(/[\n,]/)) {
    const line = part.trim();
    if (line === '') continue;
    const at = line.indexOf('=');
    if (at <= 0) throw new InvalidInputError(field, `"${line}" is not name=value.`);
    out[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return out;
}

export function qaInputFromForm(body: z.infer<typeof QaForm>): QaSessionInput {
  const hoursText = body.hours?.trim() ?? '';
  const hours = hoursText === '' ? 24 : Number(hoursText);
  if (!Number.isFinite(hours)) throw new InvalidInputError('hours', 'The lifetime is a number of hours.');
  return {
    deployTarget: body.deployTarget?.trim() ?? '',
    name: body.name?.trim() || undefined,
    forced: pairs(body.forced, 'forced'),
    expiresInSeconds: Math.round(hours * 3600),
  };
}
