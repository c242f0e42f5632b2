/**
 * A server killed with SIGKILL under load loses no acknowledged event. A real `tessera serve`
 * process (on a SQLite file, and on PostgreSQL) takes runtime requests from concurrent clients
 * that log every 200: a selection for a new session, then a reward for it. Mid-run the process is
 * killed; restarted on the same store, its report holds every acknowledged selection and reward.
 * Requests that were cut off may or may not have been recorded, so the clients retry them with
 * the same session (safe: a session is counted once, a goal once per session); after that the
 * report matches the clients' log exactly. It runs on the store the suite runs on
 * (TESSERA_TEST_DATABASE): a SQLite file by default, PostgreSQL with `postgres` (skipped without
 * PostgreSQL unless TESSERA_REQUIRE_POSTGRES=1).
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import {
  prepareRuntime,
  type RuntimeItem,
  reportTotals,
  runtime,
  type ServerProcess,
  serve,
  signIn,
} from './helpers/servers.js';
import { createSchema, dropSchema, postgresAvailable, postgresUrl, testDialect } from './helpers/store.js';

const withPostgres = testDialect === 'postgres' && (await postgresAvailable());
if (testDialect === 'postgres' && !withPostgres)
  console.log('# PostgreSQL is not reachable: the crash test is skipped');

const cleanups: (() => Promise<void>)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

type Step = 'select' | 'reward';

async function crashUnderLoad(database: string, env: Record<string, string>): Promise<void> {
  let server: ServerProcess = await serve({ database, env });
  cleanups.push(() => server.kill('SIGKILL'));
  const admin = await signIn(server.base);
  const { accountId } = admin;
  const { key } = await prepareRuntime(server.base, admin, accountId);

  // The clients' log: what got a 200, and what was cut off (to retry).
  const selected = new Set<string>();
  const rewarded = new Set<string>();
  const cutOff: { session: string; step: Step }[] = [];
  let next = 0;
  let killed = false;

  async function client(id: number): Promise<void> {
    while (!killed) {
      const session = `crash-${id}-${next++}`;
      for (const step of ['select', 'reward'] as const) {
        const command = step === 'select' ? { a: 'a-exp' } : { g: 'g-buy' };
        let status: number;
        try {
          status = (await runtime(server.base, key, accountId, session, [command])).status;
        } catch {
          cutOff.push({ session, step });
          return;
        }
        assert.equal(status, 200, `${step} of ${session}`);
        (step === 'select' ? selected : rewarded).add(session);
      }
    }
  }
  const clients = Promise.all(Array.from({ length: 8 }, (_, i) => client(i)));
  while (rewarded.size < 100) await new Promise((resolve) => setTimeout(resolve, 10));
  killed = true;
  await server.kill('SIGKILL');
  await clients;

  server = await serve({ database, env });
  const signedIn = await signIn(server.base);
  const recovered = await reportTotals(server.base, signedIn, accountId);
  const cutSelections = cutOff.filter((c) => c.step === 'select').length;
  console.log(
    `# ${database.split(':')[0]}: killed after ${selected.size} acknowledged selections and ${rewarded.size} rewards (${cutOff.length} requests cut off); after restart the report has ${recovered.sessions} and ${recovered.conversions}`,
  );
  assert.ok(recovered.sessions >= selected.size, 'every acknowledged selection survived the kill');
  assert.ok(recovered.conversions >= rewarded.size, 'every acknowledged reward survived the kill');
  assert.ok(recovered.sessions <= selected.size + cutSelections, 'nothing counted that was never sent');
  assert.ok(recovered.conversions <= rewarded.size + cutOff.length, 'nothing credited that was never sent');

  // Retrying what was cut off, with the same session, completes every session exactly once.
  for (const { session, step } of cutOff) {
    const steps: Step[] = step === 'select' ? ['select', 'reward'] : ['reward'];
    for (const s of steps) {
      const answer = await runtime(server.base, key, accountId, session, [
        s === 'select' ? { a: 'a-exp' } : { g: 'g-buy' },
      ]);
      assert.equal(answer.status, 200);
      const item = (answer.body.data as { items: RuntimeItem[] }).items[0];
      if (s === 'select') assert.ok(item.c === 'A' || item.c === 'B');
      (s === 'select' ? selected : rewarded).add(session);
    }
  }
  const final = await reportTotals(server.base, signedIn, accountId);
  assert.deepEqual(
    final,
    { sessions: selected.size, conversions: rewarded.size },
    "the report matches the clients' log",
  );
}

describe('a server killed with SIGKILL under load', () => {
  test('on a SQLite file: every acknowledged selection and reward is in the report', {
    skip: testDialect !== 'sqlite' && 'runs with the SQLite suite',
  }, async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-crash-'));
    cleanups.push(async () => rmSync(dir, { recursive: true, force: true }));
    await crashUnderLoad(`sqlite:${join(dir, 'data', 'tessera.db')}`, {});
  });

  test('on PostgreSQL: every acknowledged selection and reward is in the report', {
    skip: !withPostgres && 'runs with TESSERA_TEST_DATABASE=postgres',
  }, async () => {
    const schema = await createSchema();
    cleanups.push(() => dropSchema(schema));
    await crashUnderLoad(postgresUrl, { TESSERA_DATABASE_SCHEMA: schema });
  });
});
