/** A report's filters: a plain GET form (deploy target, first and last day, trait group to break down by). */
import { z } from 'zod';
import { parseDay } from '../../kernel/days.js';

const Day = z
  .string()
  .max(10)
  .refine((day) => day === '' || parseDay(day) !== null, 'must be a day, YYYY-MM-DD')
  .optional();

export const ReportQuery = z.object({
  dt: z.string().max(64).optional(),
  from: Day,
  to: Day,
  by: z.string().max(100).optional(),
});

export const dayMs = (day: string | undefined) => (day ? (parseDay(day) ?? undefined) : undefined);
