/** The people forms. */
import { z } from 'zod';
import { ROLES } from '../../access/permissions.js';
import { AccountParams } from '../kit/params.js';

export const UserParams = AccountParams.extend({ id: z.string().min(1).max(64) });

export const NewUserForm = z.object({
  email: z.email('Email: not an email address').max(254),
  password: z.string().max(1024).optional(),
  role: z.enum(ROLES),
});

export const RoleForm = z.object({ role: z.enum(ROLES) });
