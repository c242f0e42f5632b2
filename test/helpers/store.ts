/**
 * The store a test runs on. `npm test` uses SQLite in memory; with TESSERA_TEST_DATABASE=postgres
 * every test app gets its own PostgreSQL schema, dropped when the app closes. With
 * TESSERA_REQUIRE_POSTGRES=1 (CI) an unreachable PostgreSQL fails the run instead of skipping.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { CompiledQuery, Kysely } from 'kysely';
import pg from 'pg';
import { openStore, type Store } from '../../src/store/connect.js';
import { migrateToLatest } from '../../src/store/migrate.js';

export const testDialect = process.env.TESSERA_TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';
export const postgresUrl = process.env.TESSERA_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

/** Whether PostgreSQL answers; CI makes its absence a failure. */
export async function postgresAvailable(): Promise<boolean> {
  // A refused connection answers at once; 10 s is for a busy host, where four test files starting
  // servers and browsers at once kept a CI run's connection waiting past 2 s.
  const client = new pg.Client({ connectionString: postgresUrl, connectionTimeoutMillis: 10_000 });
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch (error) {
    if (process.env.TESSERA_REQUIRE_POSTGRES === '1') {
      throw new Error(
        `PostgreSQL is required (TESSERA_REQUIRE_POSTGRES=1) but ${postgresUrl} does not answer: ${String(error)}`,
      );
    }
    return false;
  } finally {
    await client.end().catch(() => {});
  }
}

/**
 * Whether a file's PostgreSQL-only tests run: in the PostgreSQL suite, with PostgreSQL answering.
 * When they don't, the run's output says why (`skipped`, printed as a TAP comment).
 */
export async function inPostgresSuite(skipped: string): Promise<boolean> {
  const runs = testDialect === 'postgres' && (await postgresAvailable());
  if (!runs) console.log(`# ${skipped}`);
  return runs;
}

export interface TestStore {
  store: Store;
  /** closes the store and drops what the test made */
  dispose(): Promise<void>;
}

/** Creates an empty PostgreSQL schema and returns its name; drop it with `dropSchema`. */
export async function createSchema(): Promise<string> {
  const schema = `t_${randomBytes(6).toString('hex')}`;
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    await client.query(`create schema ${schema}`);
  } finally {
    await client.end();
  }
  return schema;
}

export async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrl });
  await client.connect();
  try {
    // Catalog scans of other tests (Kysely's migrator introspects every schema) fail with "schema
    // does not exist" when a schema vanishes under them; holding pg_namespace for the drop makes
    // them wait for it instead.
    await client.query(
      `begin; lock table pg_catalog.pg_namespace in access exclusive mode; drop schema if exists ${schema} cascade; commit`,
    );
  } finally {
    await client.end();
  }
}

export async function createTestStore(
  dialect: 'sqlite' | 'postgres' = testDialect,
  sqlitePath = ':memory:',
): Promise<TestStore> {
  if (dialect === 'sqlite') {
    const store = openStore({ url: `sqlite:${sqlitePath}` });
    await migrateToLatest(store);
    return { store, dispose: () => store.close() };
  }
  const schema = await createSchema();
  const store = openStore({ url: postgresUrl, schema, poolSize: 5 });
  await migrateToLatest(store);
  return {
    store,
    async dispose() {
      await store.close();
      await dropSchema(schema);
    },
  };
}

export interface FileTestStore extends TestStore {
  /** the temporary folder the file is in, removed by `dispose` */
  dir: string;
  /** the SQLite file */
  file: string;
}

/**
 * A migrated store on a SQLite file of its own, for what an in-memory database cannot show: a
 * second connection (the commit thread, a lock held elsewhere), the WAL, the file's size.
 */
export async function createFileTestStore(name: string): Promise<FileTestStore> {
  const dir = mkdtempSync(join(tmpdir(), `tessera-${name}-`));
  const file = join(dir, `${name}.db`);
  const { store, dispose } = await createTestStore('sqlite', file);
  return {
    store,
    dir,
    file,
    async dispose() {
      await dispose();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * `db` with every statement run through it recorded, compiled as it was sent (SQL and
 * parameters): for tests of what a piece of code asks the database.
 */
export function recordingStatements<DB>(db: Kysely<DB>): { db: Kysely<DB>; statements: CompiledQuery[] } {
  const statements: CompiledQuery[] = [];
  const recording = db.withPlugin({
    transformQuery(args) {
      statements.push(db.getExecutor().compileQuery(args.node, args.queryId));
      return args.node;
    },
    transformResult: async (args) => args.result,
  });
  return { db: recording, statements };
}
