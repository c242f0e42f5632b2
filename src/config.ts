import { z } from 'zod';

const ConfigSchema = z.object({
  PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  HOST: z.string().default('0.0.0.0'),
  TESSERA_DATABASE_URL: z.string().default('sqlite:./data/tessera.db'),
  TESSERA_ADMIN_EMAIL: z.string().optional(),
  TESSERA_ADMIN_PASSWORD: z.string().optional(),
  /** the address people reach the server at, for links printed on the console */
  TESSERA_PUBLIC_URL: z.string().optional(),
  /** seconds browsers and CDNs may keep the script tag and the native bundle before revalidating */
  TESSERA_SCRIPT_MAX_AGE: z.coerce.number().int().min(0).max(31_536_000).default(60),
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
});

export type Config = z.infer<typeof ConfigSchema>;

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Config {
  const parsed = ConfigSchema.safeParse(env);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new Error(`Configuration: ${issue.path.join('.')}: ${issue.message}`);
  }
  return parsed.data;
}
