/** A custom visitor trait as answered (docs/targeting.md): its rules, plus the server's version and timestamps. */
import { z } from 'zod';
import type { Trait } from '../../agents/traits.js';
import { IsoTime, iso } from '../../web/schemas.js';
import { Clause, Match } from './agent-presenter.js';

export const TraitRecord = z.object({
  group: z.string().describe('the session gets cust/GROUP:VALUE of the first rule that holds'),
  rules: z.array(z.object({ value: z.string(), when: z.array(Clause), match: Match.optional() })),
  version: z.number(),
  createdAt: IsoTime,
  updatedAt: IsoTime,
});

export function traitRecord(trait: Trait): z.input<typeof TraitRecord> {
  return {
    group: trait.group,
    rules: trait.rules,
    version: trait.version,
    createdAt: iso(trait.createdAt),
    updatedAt: iso(trait.updatedAt),
  };
}
