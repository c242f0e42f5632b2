/** The goal resource of spec 3.3 as answered: what a person wrote, plus the server's version and timestamps. */
import { z } from 'zod';
import type { Goal } from '../../agents/goals.js';
import { IsoTime, iso } from '../../web/schemas.js';

export const GoalRecord = z.object({
  code: z.string(),
  name: z.string(),
  value: z.number().describe('credited by a reward that gives none'),
  version: z.number(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

export function goalRecord(goal: Goal): z.input<typeof GoalRecord> {
  return {
    code: goal.code,
    name: goal.name,
    value: goal.value,
    version: goal.version,
    createdAt: iso(goal.createdAt),
    updatedAt: iso(goal.updatedAt),
  };
}
