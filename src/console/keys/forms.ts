/** The forms of the API keys screen, and how their fields become a key's settings. */
import { z } from 'zod';
import { parseDateTime } from '../../kernel/days.js';
import { KEY_KINDS } from '../../keys/token.js';
import { AccountParams } from '../kit/params.js';
import { GRACE_CHOICES } from './format.js';

export const KeyParams = AccountParams.extend({ id: z.string().min(1).max(64) });

export const FormName = z.string().trim().max(100, 'Name: at most 100 characters');

export const TargetField = z.union([z.string().max(64), z.array(z.string().max(64)).max(100)]).optional();

/** A key's expiry as the Edit form's datetime-local field shows it (UTC, to the minute). */
export const expiryField = (ms: number): string => new Date(ms).toISOString().slice(0, 16);

export const CreateForm = z.object({ kind: z.enum(KEY_KINDS), name: FormName.optional() });

export const EditForm = z.object({
  name: FormName.min(1, 'Name: must not be empty'),
  deployTargets: TargetField,
  /** datetime-local, read as UTC; empty: never expires (absent: unchanged) */
  expiresAt: z
    .union([
      z.literal(''),
      z
        .string()
        .regex(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/, 'Expires: a date and time')
        .refine((value) => parseDateTime(value) !== null, 'Expires: that date and time does not exist'),
    ])
    .optional(),
  /** JS keys: one origin per line; empty: any origin (absent: unchanged) */
  allowedOrigins: z.string().max(5000, 'Allowed origins: at most 5000 characters').optional(),
  /** requests per second; empty: no limit (absent: unchanged) */
  rateLimit: z
    .union([
      z.literal(''),
      z.string().regex(/^\d{1,7}$/, 'Rate limit: a whole number of requests per second'),
    ])
    .optional(),
});

export const RollForm = z.object({ graceSeconds: z.enum(GRACE_CHOICES.map((c) => String(c.seconds))) });

export const DeleteForm = z.object({ confirm: z.string().max(200).optional() });

export function formExpiry(value: string | undefined): number | null | undefined {
  if (value === undefined) return undefined;
  if (value === '') return null;
  // The schema has checked it is a real moment.
  return parseDateTime(value);
}

export function formOrigins(value: string | undefined): string[] | undefined {
  if (value === undefined) return undefined;
  return value
    .split(/\r?\n/)
    .map((line) => line.trim())
    .filter((line) => line !== '');
}

export function formRateLimit(value: string | undefined): { perSecond: number } | null | undefined {
  if (value === undefined) return undefined;
  return value === '' ? null : { perSecond: Number(value) };
}
