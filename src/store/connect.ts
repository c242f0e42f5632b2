import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import {
  CompiledQuery,
  type DatabaseConnection,
  Kysely,
  PostgresDialect,
  type SqliteDatabase,
  SqliteDialect,
  type SqliteDialectConfig,
  SqliteDriver,
  sql,
} from 'kysely';
import pg from 'pg';
import { createKeyedLock } from '../kernel/keyed-lock.js';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

/**
 * A SQLite file's own connection, for the one writer that prepares its statements itself (the
 * commit thread): named here so that the domain speaks of it without importing the driver.
 */
export type SqliteConnection = SQLite.Database;

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** the connection settings, so a listener (change notifications) can open its own connection */
  url: string;
  schema?: string;
  /**
   * SQLite: the driver's own connection under `db`, for a thread that runs prepared statements
   * of its own (the commit thread). Only while holding `db.connection()`, so that none of them
   * lands inside a transaction `db` has open.
   */
  sqlite?: SqliteConnection;
  /**
   * Runs `work` while no other holder of the same lock runs, in any process on this database
   * (PostgreSQL: a session advisory lock; SQLite, which one server serves: within this process).
   */
  exclusively<T>(lock: string, work: () => Promise<T>): Promise<T>;
  close(): Promise<void>;
}

export interface StoreOptions {
  /** `sqlite:PATH`, `sqlite::memory:` or `postgres://…` */
  url: string;
  /** PostgreSQL only: the schema to use (tests make one each and drop it after) */
  schema?: string;
  poolSize?: number;
}

// PostgreSQL returns int8 (BIGINT, COUNT) and numeric (SUM of int8) as strings to avoid precision
// loss. Every such value here (epoch milliseconds, counters, sums) fits a double, so parse them
// once, for every query, in this one place.
pg.types.setTypeParser(pg.types.builtins.INT8, (v) => Number(v));
pg.types.setTypeParser(pg.types.builtins.NUMERIC, (v) => Number(v));

// Why a statement failed when the database itself could not be reached or is restarting, rather
// than the statement being wrong: connection errors of the driver and of the operating system, and
// PostgreSQL's SQLSTATE classes 08 (connection exception) and 57P (operator intervention: shutdown,
// starting up), 53300 (too many connections); SQLite's busy and I/O errors.
const UNAVAILABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'EPIPE',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  '53300',
  'SQLITE_BUSY',
  'SQLITE_LOCKED',
  'SQLITE_FULL',
  'SQLITE_CANTOPEN',
]);
const UNAVAILABLE_MESSAGES = [
  'Connection terminated',
  'timeout exceeded when trying to connect',
  'Client has encountered a connection error',
  'Client was closed and is not queryable',
  'Connection closed',
];

/** An error and its causes (a few levels deep), each with its driver's code when it has one. */
function* causeChain(error: unknown): Generator<{ error: Error; code: string | undefined }> {
  for (let e = error, depth = 0; e instanceof Error && depth < 5; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    yield { error: e, code: typeof code === 'string' ? code : undefined };
  }
}

/**
 * Whether an error means the store is unreachable for now (a request may succeed if retried),
 * looking through `cause` chains; the HTTP layer answers such errors 503 with Retry-After.
 */
export function isStoreUnavailable(error: unknown): boolean {
  for (const { error: e, code } of causeChain(error)) {
    if (code !== undefined) {
      if (UNAVAILABLE_CODES.has(code) || code.startsWith('08') || code.startsWith('57P')) return true;
      if (code.startsWith('SQLITE_IOERR')) return true;
    }
    if (UNAVAILABLE_MESSAGES.some((m) => e.message.includes(m))) return true;
    if (e instanceof AggregateError && e.errors.some(isStoreUnavailable)) return true;
  }
  return false;
}

/** Unique and foreign-key violations (both dialects), serialization failures and deadlocks (PostgreSQL). */
const CONFLICT_CODES = new Set([
  '23505',
  '23503',
  '40001',
  '40P01',
  'SQLITE_CONSTRAINT_UNIQUE',
  'SQLITE_CONSTRAINT_PRIMARYKEY',
  'SQLITE_CONSTRAINT_FOREIGNKEY',
]);

/**
 * Whether a write lost a race with another one made at the same moment (a unique or foreign-key
 * constraint that held when checked, broken by the time of the write; a deadlock). The services
 * handle the races they know of; this is the net under the rest: the HTTP layer answers 409, so
 * the person retries, rather than a 500.
 */
export function isConcurrentConflict(error: unknown): boolean {
  for (const { code } of causeChain(error)) if (code !== undefined && CONFLICT_CODES.has(code)) return true;
  return false;
}

export function dialectOf(url: string): Dialect {
  if (url.startsWith('postgres://') || url.startsWith('postgresql://')) return 'postgres';
  if (url.startsWith('sqlite:')) return 'sqlite';
  throw new Error(
    `TESSERA_DATABASE_URL must start with sqlite: or postgres:// (got "${url.split(':')[0]}:")`,
  );
}

/**
 * Kysely prepares every query anew; on the runtime's hot path the same few statements repeat, so
 * the most recently used prepared statements are kept (SQLite re-prepares them itself after a
 * schema change). Safe because every statement runs to completion synchronously (nothing here
 * streams with `iterate`).
 */
function withStatementCache(sqlite: SQLite.Database, max = 500): SqliteDatabase {
  const statements = new Map<string, SQLite.Statement>();
  return {
    close: () => sqlite.close(),
    prepare(sql: string) {
      let statement = statements.get(sql);
      if (statement) {
        statements.delete(sql);
      } else {
        statement = sqlite.prepare(sql);
        if (statements.size >= max) statements.delete(statements.keys().next().value as string);
      }
      statements.set(sql, statement);
      return statement;
    },
  };
}

/**
 * SQLite transactions begun IMMEDIATE, taking the write lock at BEGIN, where SQLite waits for it
 * (busy_timeout) while the commit thread holds it. Begun deferred, as Kysely begins them, one
 * that read before it wrote was refused at once (SQLITE_BUSY, a 503) whenever another connection
 * held the lock as it came to write: SQLite cannot wait there without risking a deadlock. The
 * store's transactions are there to write (one that finds nothing to change holds the lock for
 * its reads only, a moment), and reads outside them take no lock (connect.test.ts).
 */
class ImmediateSqliteDriver extends SqliteDriver {
  override async beginTransaction(connection: DatabaseConnection): Promise<void> {
    await connection.executeQuery(CompiledQuery.raw('begin immediate'));
  }
}

class ImmediateSqliteDialect extends SqliteDialect {
  constructor(private readonly settings: SqliteDialectConfig) {
    super(settings);
  }
  override createDriver(): SqliteDriver {
    return new ImmediateSqliteDriver(this.settings);
  }
}

/** The SQLite file a store is on, or null: PostgreSQL, or an in-memory SQLite database. */
export function sqliteFile(store: Pick<Store, 'dialect' | 'url'>): string | null {
  if (store.dialect !== 'sqlite') return null;
  const path = store.url.slice('sqlite:'.length);
  return path === '' || path === ':memory:' ? null : path;
}

/** SQLite's named locks: one server process serves a SQLite file, so they are this process's. */
const inProcess = createKeyedLock();

export function openStore(options: StoreOptions): Store {
  const dialect = dialectOf(options.url);
  if (dialect === 'sqlite') {
    const path = options.url.slice('sqlite:'.length) || ':memory:';
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const sqlite = new SQLite(path);
    // WAL lets readers run beside the writer; FULL makes every acknowledged commit survive a crash
    // (group commit keeps the fsync count low).
    sqlite.pragma('journal_mode = WAL');
    sqlite.pragma('synchronous = FULL');
    sqlite.pragma('foreign_keys = ON');
    sqlite.pragma('busy_timeout = 5000');
    const db = new Kysely<Database>({
      dialect: new ImmediateSqliteDialect({ database: withStatementCache(sqlite) }),
    });
    return {
      db,
      dialect,
      url: options.url,
      sqlite,
      exclusively: (lock, work) => inProcess.run(lock, work),
      close: () => db.destroy(),
    };
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
    // While the database is down or restarting, a request waits at most this long for a
    // connection, then answers 503 instead of hanging until the client gives up.
    connectionTimeoutMillis: 5_000,
  });
  // A client losing its connection (database restart) must not crash the process: idle ones
  // report it to the pool, and a checked-out one (between two statements of a transaction) has no
  // listener of the pool's, so each gets its own; the next statement on it fails, and that failure
  // is what the request answers (503).
  pool.on('error', () => {});
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  const scope = options.schema ?? 'public';
  return {
    db,
    dialect,
    url: options.url,
    schema: options.schema,
    // The lock is held by one pooled connection for the duration; its key names the schema too,
    // so tests on their own schemas never wait for each other.
    exclusively: (lock, work) =>
      db.connection().execute(async (connection) => {
        const key = sql`hashtextextended(${`tessera:${scope}:${lock}`}, 0)`;
        await sql`select pg_advisory_lock(${key})`.execute(connection);
        try {
          return await work();
        } finally {
          await sql`select pg_advisory_unlock(${key})`.execute(connection);
        }
      }),
    close: () => db.destroy(),
  };
}
