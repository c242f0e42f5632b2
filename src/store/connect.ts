import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import SQLite from 'better-sqlite3';
import { Kysely, PostgresDialect, type SqliteDatabase, SqliteDialect } from 'kysely';
import pg from 'pg';
import type { Database } from './schema.js';

export type Dialect = 'sqlite' | 'postgres';

export interface Store {
  db: Kysely<Database>;
  dialect: Dialect;
  /** the connection settings, so a listener (change notifications) can open its own connection */
  url: string;
  schema?: string;
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
    const db = new Kysely<Database>({ dialect: new SqliteDialect({ database: withStatementCache(sqlite) }) });
    return { db, dialect, url: options.url, close: () => db.destroy() };
  }
  const pool = new pg.Pool({
    connectionString: options.url,
    max: options.poolSize ?? 10,
    options: options.schema ? `-c search_path=${options.schema}` : undefined,
  });
  // An idle client losing its connection (database restart) must not crash the process.
  pool.on('error', () => {});
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return { db, dialect, url: options.url, schema: options.schema, close: () => db.destroy() };
}
