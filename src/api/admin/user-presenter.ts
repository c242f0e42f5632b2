/** A person of an account as Settings > Users answers them. */
import { z } from 'zod';
import { ROLES } from '../../access/permissions.js';
import type { Member } from '../../accounts/users.js';
import { IsoTime, iso } from '../../web/schemas.js';

export const UserRecord = z.object({
  id: z.string(),
  email: z.string(),
  role: z.enum(ROLES),
  createdAt: IsoTime,
});

export const userRecord = (m: Member): z.input<typeof UserRecord> => ({
  id: m.id,
  email: m.email,
  role: m.role,
  createdAt: iso(m.createdAt),
});
