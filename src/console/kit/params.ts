/** The path parameter every account page has: the account it addresses. */
import { z } from 'zod';

export const AccountParams = z.object({ acc: z.string().min(1).max(64) });
