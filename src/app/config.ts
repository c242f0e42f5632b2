import { z } from 'zod';

/** An empty variable (`PORT=`) is one not set: its default applies, not a coerced 0 or "". */
const unsetIfEmpty = (value: unknown) => (value === '' ? undefined : value);

const ConfigSchema = z.object({
  PORT: z.preprocess(unsetIfEmpty, z.coerce.number().int().min(0).max(65535).default(8080)),
  HOST: z.string().default('0.0.0.0'),
  TESSERA_DATABASE_URL: z
    .string()
    .default('sqlite:./data/tessera.db')
    // `sqlite:` and nothing else (often `sqlite:$UNSET`) would keep everything in memory, lost at exit.
    .refine((url) => url !== 'sqlite:', 'sqlite: needs a file path (sqlite:./data/tessera.db)'),
  /** PostgreSQL only: the schema Tessera's tables live in (default: the connection's search_path) */
  TESSERA_DATABASE_SCHEMA: z
    .string()
    .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a schema name of lowercase letters, digits and _')
    .optional(),
  /** Redis shared by every server, for per-key rate limits and sign-in throttling; none: each server limits alone */
  TESSERA_REDIS_URL: z
    .string()
    .regex(/^rediss?:\/\//, 'must start with redis:// or rediss://')
    .optional(),
  TESSERA_ADMIN_EMAIL: z.preprocess(
    (value) => (typeof value === 'string' ? unsetIfEmpty(value.trim()) : value),
    z.email('must be an email address').max(254).optional(),
  ),
  TESSERA_ADMIN_PASSWORD: z.string().optional(),
  /** the address people reach the server at, for links printed on the console */
  TESSERA_PUBLIC_URL: z.preprocess(
    unsetIfEmpty,
    z
      .url({
        protocol: /^https?$/,
        error: 'must be an http or https URL, such as https://tessera.example.com',
      })
      .optional(),
  ),
  /** `true` behind a proxy that sets X-Forwarded-For (read where the server is built) */
  TESSERA_TRUST_PROXY: z.preprocess(unsetIfEmpty, z.enum(['true', 'false']).optional()),
  /** seconds browsers and CDNs may keep the script tag and the native bundle before revalidating */
  TESSERA_SCRIPT_MAX_AGE: z.coerce.number().int().min(0).max(31_536_000).default(60),
  /** how often adaptive agents' weights are recomputed and published (seconds; 0: never) */
  TESSERA_ADAPTIVE_INTERVAL: z.coerce.number().int().min(0).max(604_800).default(3600),
  /** sessions whose state a server on a SQLite file keeps in memory (default: the visitor store's) */
  TESSERA_SESSION_CACHE: z.preprocess(
    unsetIfEmpty,
    z.coerce
      .number('a number of sessions, such as 250000')
      .int('a whole number of sessions')
      .min(1000, 'at least 1000 sessions')
      .max(10_000_000, 'at most 10000000 sessions')
      .optional(),
  ),
  /** seconds `serve` waits for an unreachable store at start (answering 503 meanwhile) before it gives up */
  TESSERA_STORE_WAIT_SECONDS: z.coerce.number().int().min(0).max(3600).default(60),
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
