/** The sign-in and setup forms. */
import { z } from 'zod';

export const LoginForm = z.object({
  email: z.string().max(254).default(''),
  password: z.string().max(1024).default(''),
  next: z.string().max(2000).optional(),
});

export const SetupForm = z.object({
  token: z.string().max(200).default(''),
  email: z.string().max(254).default(''),
  password: z.string().max(1024).default(''),
  confirm: z.string().max(1024).default(''),
});
