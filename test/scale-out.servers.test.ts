/**
 * Two real servers (`tessera serve` processes) on one PostgreSQL schema, over HTTP, as behind a
 * load balancer:
 * - a key made on A works on B; deleted on A, B refuses it within a second (delay printed over
 *   20 tries); an agent changed on A is what B serves within a second;
 * - one session answered by both servers in turn: they agree (variation, sticky policy, a goal
 *   rewarded once), and every selection and reward recorded by either is counted once;
 * - one session selecting two agents on both servers at the same instant: its later reward
 *   credits both, whichever server's state was written last;
 * - a person removed, demoted or signed out on A is refused by B on the very next request.
 * Skips without PostgreSQL unless TESSERA_REQUIRE_POSTGRES=1.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  call,
  createKey,
  type RuntimeItem,
  reportTotals,
  runtime,
  type ServerProcess,
  type SignedInSession,
  serve,
  signIn,
} from './helpers/servers.js';
import { createSchema, dropSchema, inPostgresSuite, postgresUrl } from './helpers/store.js';

// Servers of their own on PostgreSQL whatever the suite's store: run once, in the PostgreSQL
// suite (TESSERA_TEST_DATABASE=postgres, as CI runs it), not again in the SQLite one.
const available = await inPostgresSuite(
  'The two-server tests run in the PostgreSQL suite (TESSERA_TEST_DATABASE=postgres)',
);

const items = (answer: { body: { data?: unknown } }) => (answer.body.data as { items: RuntimeItem[] }).items;

function summary(delays: number[]): { median: number; worst: number } {
  const sorted = [...delays].sort((x, y) => x - y);
  return { median: sorted[sorted.length >> 1], worst: sorted[sorted.length - 1] };
}

describe('two servers on one PostgreSQL schema', { skip: !available }, () => {
  let schema: string;
  let a: ServerProcess;
  let b: ServerProcess;
  let admin: SignedInSession;
  let accountId: string;

  before(async () => {
    schema = await createSchema();
    const env = { TESSERA_DATABASE_SCHEMA: schema };
    // A first: it makes the first account and its Account Admin; B finds them there.
    a = await serve({ database: postgresUrl, env });
    b = await serve({ database: postgresUrl, env });
    const signedIn = await signIn(a.base);
    admin = signedIn;
    accountId = signedIn.accountId;
    const goal = await call(a.base, 'PUT', `/admin/${accountId}/goals/g-buy`, {
      session: admin,
      body: { name: 'Buy', value: 1 },
    });
    assert.equal(goal.status, 201, JSON.stringify(goal.body));
    const agent = await call(a.base, 'PUT', `/admin/${accountId}/agents/a-exp`, {
      session: admin,
      body: { variations: [{ code: 'A' }, { code: 'B' }], goals: ['g-buy'] },
    });
    assert.equal(agent.status, 201, JSON.stringify(agent.body));
  });

  after(async () => {
    await a?.kill();
    await b?.kill();
    if (schema) await dropSchema(schema);
  });

  test('a key deleted on A is refused by B within a second (20 tries)', async () => {
    const delays: number[] = [];
    for (let i = 0; i < 20; i++) {
      const { key, keyId } = await createKey(a.base, admin, accountId, `k${i}`);
      const used = await runtime(b.base, key, accountId, `s-key-${i}`, [{ a: 'a-exp' }]);
      assert.equal(used.status, 200, `try ${i}: a key made on A works on B`);
      const deleted = await call(a.base, 'DELETE', `/admin/${accountId}/api-keys/${keyId}?confirm=k${i}`, {
        session: admin,
      });
      assert.equal(deleted.status, 200);
      const deletedAt = performance.now();
      // Polled on the runtime path, which B answers from its key cache: what the notification
      // must evict. A request sent a second or more after the deletion must be refused.
      let delay = Number.POSITIVE_INFINITY;
      for (;;) {
        const sentAt = performance.now();
        const answer = await runtime(b.base, key, accountId, `s-key-${i}`, []);
        if (answer.status !== 200) {
          assert.equal(answer.status, 403, JSON.stringify(answer.body));
          assert.equal(answer.body.code, 'key_deleted');
          delay = performance.now() - deletedAt;
          break;
        }
        assert.ok(sentAt - deletedAt < 1000, `try ${i}: B still accepted the deleted key after 1 s`);
      }
      delays.push(delay);
    }
    const { median, worst } = summary(delays);
    console.log(
      `# over HTTP, key deletion on A refused by B after: median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms over 20 tries`,
    );
    // Target: median under 100 ms on an idle machine (printed above); beside other test files on
    // two cores this guards only against a feed that polls.
    assert.ok(median < 400, `median ${median} ms`);
  });

  test('an agent changed on A is what B serves within a second', async () => {
    const { key } = await createKey(a.base, admin, accountId, 'deployments');
    const delays: number[] = [];
    for (let i = 0; i < 5; i++) {
      const put = await call(a.base, 'PUT', `/admin/${accountId}/agents/a-moving`, {
        session: admin,
        body: { variations: [{ code: 'A', meta: { round: String(i) } }] },
      });
      assert.ok(put.status === 200 || put.status === 201, JSON.stringify(put.body));
      const changedAt = performance.now();
      let delay = Number.POSITIVE_INFINITY;
      while (performance.now() - changedAt < 1000) {
        const answer = await runtime(b.base, key, accountId, `s-moving-${i}-${delays.length}`, [
          { a: 'a-moving' },
        ]);
        assert.equal(answer.status, 200);
        if (items(answer)[0]?.md?.round === String(i)) {
          delay = performance.now() - changedAt;
          break;
        }
      }
      assert.ok(delay < 1000, `change ${i}: B did not serve it within 1 s`);
      delays.push(delay);
    }
    const { median, worst } = summary(delays);
    console.log(
      `# agent change on A served by B after: median ${median.toFixed(1)} ms, worst ${worst.toFixed(1)} ms`,
    );
  });

  test('one session answered by both servers in turn: they agree, and events are counted once', async () => {
    const { key } = await createKey(a.base, admin, accountId, 'sessions');
    const before = await reportTotals(a.base, admin, accountId);
    const sessions = 30;
    for (let i = 0; i < sessions; i++) {
      const session = `visitor-${i}`;
      const first = items(await runtime(a.base, key, accountId, session, [{ a: 'a-exp' }]))[0];
      assert.equal(first.p, 'r', 'a new session: a random (deterministic) allocation on A');
      const second = items(await runtime(b.base, key, accountId, session, [{ a: 'a-exp' }]))[0];
      assert.deepEqual([second.c, second.p], [first.c, 's'], 'B answers the same variation, as sticky');
      const reward = items(await runtime(b.base, key, accountId, session, [{ g: 'g-buy' }]))[0];
      assert.deepEqual(reward.rs, [{ a: 'a-exp', v: 1 }], 'B credits the selection A recorded');
      const again = items(await runtime(a.base, key, accountId, session, [{ g: 'g-buy' }]))[0];
      assert.deepEqual(again.rs, [{ a: 'a-exp', v: 0 }], 'A knows B already credited the goal');
    }
    // The same new session on both servers at once: one variation, counted once.
    const racing = 20;
    for (let i = 0; i < racing; i++) {
      const session = `racing-${i}`;
      const [fromA, fromB] = await Promise.all([
        runtime(a.base, key, accountId, session, [{ a: 'a-exp' }, { g: 'g-buy' }]),
        runtime(b.base, key, accountId, session, [{ a: 'a-exp' }, { g: 'g-buy' }]),
      ]);
      assert.equal(fromA.status, 200);
      assert.equal(fromB.status, 200);
      assert.equal(items(fromA)[0].c, items(fromB)[0].c, `${session}: both servers chose one variation`);
    }
    for (const server of [a, b]) {
      const after = await reportTotals(server.base, admin, accountId);
      assert.deepEqual(
        { sessions: after.sessions - before.sessions, conversions: after.conversions - before.conversions },
        { sessions: sessions + racing, conversions: sessions + racing },
        'every session and every conversion counted once, whichever server recorded it',
      );
    }
  });

  test('one session selecting two agents on both servers at once: later rewards credit both', async () => {
    const { key } = await createKey(a.base, admin, accountId, 'two agents');
    const agent = await call(a.base, 'PUT', `/admin/${accountId}/agents/a-other`, {
      session: admin,
      body: { variations: [{ code: 'A' }, { code: 'B' }], goals: ['g-buy'] },
    });
    assert.equal(agent.status, 201, JSON.stringify(agent.body));
    for (let waited = 0; ; waited += 50) {
      const probe = await runtime(b.base, key, accountId, `probe-${waited}`, [{ a: 'a-other', s: 'p' }]);
      if (items(probe).length === 1) break;
      assert.ok(waited < 5000, 'B serves the new agent within five seconds');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const before = await Promise.all(
      ['a-exp', 'a-other'].map((code) => reportTotals(a.base, admin, accountId, code)),
    );
    const sessions = 20;
    for (let i = 0; i < sessions; i++) {
      const session = `two-agents-${i}`;
      // Each server reads the session's (empty) state, then writes one holding its own selection.
      const answers = await Promise.all([
        runtime(a.base, key, accountId, session, [{ a: 'a-exp' }]),
        runtime(b.base, key, accountId, session, [{ a: 'a-other' }]),
      ]);
      assert.deepEqual(
        answers.map((answer) => answer.status),
        [200, 200],
      );
      const reward = items(await runtime(a.base, key, accountId, session, [{ g: 'g-buy' }]))[0];
      assert.deepEqual(
        [...(reward.rs ?? [])].sort((x, y) => x.a.localeCompare(y.a)),
        [
          { a: 'a-exp', v: 1 },
          { a: 'a-other', v: 1 },
        ],
        `${session}: both selections are credited, whichever state was written last`,
      );
    }
    const after = await Promise.all(
      ['a-exp', 'a-other'].map((code) => reportTotals(a.base, admin, accountId, code)),
    );
    for (const [i, code] of ['a-exp', 'a-other'].entries()) {
      assert.deepEqual(
        {
          sessions: after[i].sessions - before[i].sessions,
          conversions: after[i].conversions - before[i].conversions,
        },
        { sessions, conversions: sessions },
        `${code}: every session counted once, and converted`,
      );
    }
  });

  test('a person removed, demoted or signed out on A is refused by B at once', async () => {
    const add = async (email: string, role: string) => {
      const created = await call(a.base, 'POST', `/admin/${accountId}/users`, {
        session: admin,
        body: { email, password: 'a-long-password', role },
      });
      assert.equal(created.status, 201, JSON.stringify(created.body));
      return (created.body.data as { id: string }).id;
    };
    const keysOf = (base: string, session: SignedInSession) =>
      call(base, 'GET', `/admin/${accountId}/api-keys`, { session });

    const removedId = await add('removed@example.com', 'account-admin');
    const removed = await signIn(b.base, 'removed@example.com', 'a-long-password');
    assert.equal((await keysOf(b.base, removed)).status, 200);
    assert.equal(
      (await call(a.base, 'DELETE', `/admin/${accountId}/users/${removedId}`, { session: admin })).status,
      200,
    );
    // Removed from their only account: signed out, so B refuses the session itself.
    assert.equal((await keysOf(b.base, removed)).status, 401, 'removed on A: refused by B');

    const demotedId = await add('demoted@example.com', 'account-admin');
    const demoted = await signIn(b.base, 'demoted@example.com', 'a-long-password');
    assert.equal((await keysOf(b.base, demoted)).status, 200);
    const patched = await call(a.base, 'PATCH', `/admin/${accountId}/users/${demotedId}`, {
      session: admin,
      body: { role: 'view-reports' },
    });
    assert.equal(patched.status, 200, JSON.stringify(patched.body));
    const refused = await keysOf(b.base, demoted);
    assert.equal(refused.status, 403, 'demoted on A: refused by B');
    assert.equal(refused.body.code, 'insufficient_role');

    const leaving = await signIn(b.base, 'demoted@example.com', 'a-long-password');
    assert.equal((await call(b.base, 'GET', '/auth/me', { session: leaving })).status, 200);
    assert.equal((await call(a.base, 'POST', '/auth/logout', { session: leaving })).status, 200);
    assert.equal(
      (await call(b.base, 'GET', '/auth/me', { session: leaving })).status,
      401,
      'signed out on A',
    );
  });
});
