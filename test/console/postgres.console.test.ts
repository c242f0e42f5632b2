/**
 * The console on PostgreSQL answers an outage and a race as the API does (one error table): a
 * restart under load gives 503 with Retry-After, never 500; editing a key's deploy targets while
 * the target is deleted gives 409 (or the edit's own refusal), never a foreign-key 500.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { createTestApp } from '../helpers/app.js';
import { postForm } from '../helpers/console.js';
import {
  type PrivatePostgres,
  privatePostgresAvailable,
  startPrivatePostgres,
} from '../helpers/private-postgres.js';
import { type ServerProcess, serve, signIn } from '../helpers/servers.js';
import { testDialect } from '../helpers/store.js';

const onPostgres = testDialect === 'postgres';
if (!onPostgres) console.log('# The console restart test runs with TESSERA_TEST_DATABASE=postgres');
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('the console in an outage and a race', () => {
  let database: PrivatePostgres | undefined;
  let server: ServerProcess | undefined;
  after(async () => {
    await server?.kill('SIGKILL');
    await database?.dispose();
  });

  test('a restart under load: pages and sign-ins answer 503 with Retry-After, never 500', {
    skip: !onPostgres || !privatePostgresAvailable(),
  }, async () => {
    const db = await startPrivatePostgres();
    database = db;
    const s = await serve({ database: db.url });
    server = s;
    const admin = await signIn(s.base);
    const page = `/console/${admin.accountId}/agents`;
    const seen: Array<{ what: string; status: number; retryAfter: string | null }> = [];
    let running = true;
    async function client(what: 'page' | 'sign-in'): Promise<void> {
      while (running) {
        const res =
          what === 'page'
            ? await fetch(`${s.base}${page}`, { headers: { cookie: admin.cookie } })
            : await fetch(`${s.base}/console/login`, {
                method: 'POST',
                headers: {
                  'content-type': 'application/x-www-form-urlencoded',
                  'sec-fetch-site': 'same-origin',
                },
                body: 'email=owner%40example.com&password=owners-password',
                redirect: 'manual',
              });
        await res.arrayBuffer();
        seen.push({ what, status: res.status, retryAfter: res.headers.get('retry-after') });
        await sleep(5);
      }
    }
    const clients = Promise.all([client('page'), client('page'), client('sign-in')]);
    await sleep(500);
    await db.stop('fast');
    await sleep(1500);
    await db.start();
    // Until both kinds of request are answered again.
    const back = performance.now();
    while (performance.now() - back < 15_000) {
      const recent = seen.slice(-6);
      if (recent.length === 6 && recent.every((r) => r.status !== 503)) break;
      await sleep(100);
    }
    running = false;
    await clients;

    const byStatus: Record<string, number> = {};
    for (const r of seen) byStatus[`${r.what} ${r.status}`] = (byStatus[`${r.what} ${r.status}`] ?? 0) + 1;
    console.log(`# console across a restart: ${JSON.stringify(byStatus)}`);
    assert.ok(
      seen.some((r) => r.status === 503),
      'some requests arrived while the database was down',
    );
    for (const r of seen) {
      assert.ok([200, 303, 503].includes(r.status), `${r.what}: unexpected ${r.status}`);
      if (r.status === 503) assert.equal(r.retryAfter, '1', 'every 503 says when to retry');
    }
    assert.ok(
      seen.slice(-3).every((r) => r.status === 200 || r.status === 303),
      'both carry on after the restart',
    );
  });

  // On both stores: PostgreSQL is where the race bit (a foreign-key violation answered 500).
  test("editing a key's deploy targets while the target is deleted: 409, never 500", async () => {
    const t = await createTestApp();
    try {
      const acc = t.account.id;
      const key = await t.key('rest', { name: 'racing' });
      const statuses: string[] = [];
      for (let round = 0; round < 20; round++) {
        const target = await t.services.deployTargets.create(acc, {
          name: `Racing ${round}`,
          kind: 'rest',
          deployMode: 'automatic',
        });
        const [edit, removal] = await Promise.all([
          postForm(
            t,
            `/console/${acc}/settings/api-keys/${key.id}/edit`,
            {
              name: 'racing',
              deployTargets: [target.id],
            },
            { as: t.admin },
          ),
          postForm(t, `/console/${acc}/settings/deploy-targets/${target.id}/delete`, {}, { as: t.admin }),
        ]);
        statuses.push(`${edit.statusCode}/${removal.statusCode}`);
        // The edit saved, or lost to the deletion (its own check, or the collision at the write).
        assert.ok([200, 409, 422].includes(edit.statusCode), `edit: ${edit.statusCode} ${edit.body}`);
        // The deletion went through, or found the key already using the target.
        assert.ok([200, 409].includes(removal.statusCode), `delete: ${removal.statusCode} ${removal.body}`);
        // Leave the key without targets for the next round.
        await t.services.keys.updateKey(acc, key.id, { deployTargets: [] }, 'test');
        if (removal.statusCode === 409) await t.services.deployTargets.remove(acc, target.id, 'test');
      }
      console.log(`# edit/delete races (edit/delete): ${statuses.join(' ')}`);
    } finally {
      await t.close();
    }
  });
});
