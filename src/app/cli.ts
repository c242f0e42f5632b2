/**
 * The `tessera` command: serve, migrate, and the first steps of administration from a shell.
 */
import { Command } from 'commander';
import { ROLES, type Role } from '../access/permissions.js';
import { scanPaths, tokenState } from '../keys/scan.js';
import { createRedisLimits } from '../limits/redis-limits.js';
import { openStore, sqliteFile } from '../store/connect.js';
import { migrateToLatest } from '../store/migrate.js';
import { createPostgresChangeFeed } from '../store/postgres-change-feed.js';
import { postgresWarnings } from '../store/postgres-checks.js';
import { holdSqliteServerLock } from '../store/sqlite-server-lock.js';
import { untilStoreReachable } from '../store/wait.js';
import { answerWhileStarting } from '../web/starting.js';
import { loadConfig } from './config.js';
import { tuneHeap } from './heap.js';
import { buildServer } from './server.js';
import { createServices } from './services.js';

async function withServices<T>(fn: (services: ReturnType<typeof createServices>) => Promise<T>): Promise<T> {
  const config = loadConfig();
  const store = openStore({ url: config.TESSERA_DATABASE_URL, schema: config.TESSERA_DATABASE_SCHEMA });
  await migrateToLatest(store);
  const services = createServices(store);
  try {
    return await fn(services);
  } finally {
    await services.close();
  }
}

async function serve(): Promise<void> {
  tuneHeap();
  const config = loadConfig();
  const store = openStore({ url: config.TESSERA_DATABASE_URL, schema: config.TESSERA_DATABASE_SCHEMA });
  // A SQLite file is served by one server: a second would not hear of the first one's changes.
  const file = sqliteFile(store);
  const serverLock = file ? holdSqliteServerLock(file) : undefined;
  // PORT=0 (any free port) has no fixed port to hold while starting.
  const starting = config.PORT === 0 ? undefined : await answerWhileStarting(config.PORT, config.HOST);
  await untilStoreReachable(() => migrateToLatest(store), {
    timeoutMs: config.TESSERA_STORE_WAIT_SECONDS * 1000,
    onRetry: (error, waitMs) =>
      console.error(`store not reachable yet (${error.message}); trying again in ${waitMs / 1000} s`),
  });
  for (const warning of await postgresWarnings(store)) console.error(`warning: ${warning}`);
  // On PostgreSQL several servers may share the database: changes travel between them by NOTIFY.
  const feed =
    store.dialect === 'postgres'
      ? createPostgresChangeFeed({
          url: store.url,
          schema: store.schema,
          onError: (error) => console.error(`change feed: ${error.message}`),
        })
      : undefined;
  await feed?.ready;
  // With Redis, per-key rate limits and sign-in throttling count across every server; without
  // it each server counts alone.
  const limits = config.TESSERA_REDIS_URL
    ? createRedisLimits(config.TESSERA_REDIS_URL, {
        onError: (error) =>
          console.error(`redis (limits count per server until it is back): ${error.message}`),
      })
    : undefined;
  const services = createServices(store, {
    changes: feed,
    keyRateLimiter: limits?.keyRateLimiter,
    loginThrottle: limits?.loginThrottle,
    ...(config.TESSERA_SESSION_CACHE ? { sessionCache: config.TESSERA_SESSION_CACHE } : {}),
  });
  const app = await buildServer(services, { logLevel: config.LOG_LEVEL, config });
  // Before listening: once /health answers 200, the first Account Admin can sign in.
  const first = await services.bootstrap.run({
    email: config.TESSERA_ADMIN_EMAIL,
    password: config.TESSERA_ADMIN_PASSWORD,
  });
  await starting?.close();
  const address = await app.listen({ port: config.PORT, host: config.HOST });
  // The port listened on: PORT=0 asks for any free one.
  const bound = app.server.address();
  const port = bound && typeof bound === 'object' ? bound.port : config.PORT;
  const publicUrl = config.TESSERA_PUBLIC_URL ?? `http://localhost:${port}`;
  if (first.kind === 'admin-created') {
    app.log.info(`Created account ${first.account.id} with Account Admin ${first.email}`);
  } else if (first.kind === 'setup-link') {
    // Printed, not logged as a field: the link is a one-time secret meant for the person at the console.
    process.stdout.write(
      `\nNo one can sign in yet. Open this one-time link to choose the first Account Admin (valid 24 hours):\n  ${publicUrl}/console/setup?token=${first.token}\n` +
        `or set TESSERA_ADMIN_EMAIL and TESSERA_ADMIN_PASSWORD and restart.\n\n`,
    );
  }
  app.log.info(
    `Tessera is serving on ${address} (store: ${store.dialect}; limits: ${limits ? 'shared in Redis' : 'this server alone'})`,
  );
  const stop = async () => {
    await app.close();
    await feed?.close();
    await limits?.close();
    await services.close();
    serverLock?.release();
    process.exit(0);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

const program = new Command('tessera').description('Tessera: self-hosted experimentation server');

program.command('serve').description('serve the API and console on PORT').action(serve);

program
  .command('migrate')
  .description('bring the database schema up to date')
  .action(() =>
    withServices(async (services) => {
      console.log(`Schema is up to date (${services.store.dialect})`);
    }),
  );

const accounts = program.command('accounts').description('manage accounts');
accounts
  .command('create <name>')
  .description('create an account with one REST and one JS deploy target')
  .action((name: string) =>
    withServices(async (services) => {
      const account = await services.accounts.create(name);
      console.log(account.id);
    }),
  );
accounts
  .command('list')
  .description('list accounts')
  .action(() =>
    withServices(async (services) => {
      for (const a of await services.accounts.list()) console.log(`${a.id}\t${a.name}`);
    }),
  );

const users = program.command('users').description('manage people');
users
  .command('create <account> <email>')
  .description('add a person to an account (the password is read from TESSERA_USER_PASSWORD)')
  .option('--role <role>', `one of ${ROLES.join(', ')}`, 'account-admin')
  .action((account: string, email: string, options: { role: string }) =>
    withServices(async (services) => {
      if (!(ROLES as readonly string[]).includes(options.role))
        throw new Error(`--role must be one of ${ROLES.join(', ')}`);
      const member = await services.users.addMember(account, {
        email,
        password: process.env.TESSERA_USER_PASSWORD,
        role: options.role as Role,
      });
      console.log(`${member.id}\t${member.email}\t${member.role}`);
    }),
  );

program
  .command('scan <paths...>')
  .description(
    'find Tessera API keys in files (by pattern and checksum); exit 1 if a live or unchecked secret key is found',
  )
  .option('--server <url>', 'ask this Tessera server whether each key is live, deleted or expired')
  .action(async (paths: string[], options: { server?: string }) => {
    // `tessera scan DIR | head -1`: the reader may leave early. Stop printing, without a stack
    // trace, but finish the scan so the exit status still guards.
    let stdoutOpen = true;
    process.stdout.on('error', (error: NodeJS.ErrnoException) => {
      if (error.code !== 'EPIPE') throw error;
      stdoutOpen = false;
    });
    const found = await scanPaths(paths);
    let liveSecrets = 0;
    for (const token of found) {
      const state = options.server ? await tokenState(options.server, token.token) : 'not checked';
      // Only a definite answer that the key no longer works clears it; without a server, or with
      // any other answer, a secret key counts as live: the safe answer for a CI guard.
      const secret = token.kind !== 'js';
      if (secret && state !== 'deleted' && state !== 'expired' && state !== 'unknown') liveSecrets++;
      if (stdoutOpen)
        console.log(
          `${token.file}:${token.line}\t${token.kind}\t${token.masked}\t${state}${secret ? '' : ' (public JS key)'}`,
        );
    }
    console.error(`${found.length} Tessera key(s) found, ${liveSecrets} live or unchecked secret key(s)`);
    process.exitCode = liveSecrets > 0 ? 1 : 0;
  });

program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
});
