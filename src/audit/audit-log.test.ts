import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestStore, type TestStore } from '../../test/helpers/store.js';
import { generateToken, redactTokens } from '../keys/token.js';
import { type AuditLog, createAuditLog } from './audit-log.js';

let testStore: TestStore;
let log: AuditLog;
const ACC = 'acc-audit0001';

before(async () => {
  testStore = await createTestStore();
  await testStore.store.db.insertInto('accounts').values({ id: ACC, name: 'Audit', created_at: 0 }).execute();
  await testStore.store.db
    .insertInto('accounts')
    .values({ id: 'acc-other0001', name: 'O', created_at: 0 })
    .execute();
  // Redacting as the composition does (app/services.ts).
  log = createAuditLog(testStore.store.db, { redact: redactTokens });
});
after(() => testStore.dispose());

test('entries are written in the transaction of the change: a rolled-back change leaves none', async () => {
  const { db } = testStore.store;
  await assert.rejects(
    db.transaction().execute(async (trx) => {
      await log.record(trx, 'a@example.com', {
        accountId: ACC,
        action: 'api-key.create',
        targetType: 'api-key',
        targetId: 'key-rolledback',
        before: null,
        after: { name: 'x' },
      });
      throw new Error('the change failed');
    }),
  );
  assert.deepEqual(await log.list(ACC, { target: 'key-rolledback' }, 10), []);
});

test('filters by time, actor and target; newest first; the export is oldest first, across pages', async () => {
  const { db } = testStore.store;
  const token = generateToken('rest');
  for (let i = 0; i < 1005; i++) {
    await log.record(
      db,
      i % 2 === 0 ? { name: 'even@example.com', address: '10.0.0.2' } : 'odd@example.com',
      {
        accountId: ACC,
        action: 'deploy-target.update',
        targetType: 'deploy-target',
        targetId: i % 3 === 0 ? 'dt-three' : 'dt-other',
        before: { name: `v${i}` },
        // A token in a record is masked, whatever the caller passed.
        after: { name: `v${i + 1}`, note: token },
      },
      10_000 + i,
    );
  }
  await log.record(db, 'x@example.com', {
    accountId: 'acc-other0001',
    action: 'user.create',
    targetType: 'user',
    targetId: 'usr-1',
    before: null,
    after: { email: 'x@example.com', role: 'view-reports' },
  });

  const newest = await log.list(ACC, {}, 3);
  assert.deepEqual(
    newest.map((e) => e.at),
    [11_004, 11_003, 11_002],
  );
  assert.equal(newest[0].actor, 'even@example.com');
  assert.equal(newest[0].clientAddress, '10.0.0.2');
  assert.equal(newest[1].clientAddress, null);
  assert.deepEqual(newest[0].before, { name: 'v1004' });

  const filtered = await log.list(
    ACC,
    { since: 10_990, until: 11_000, actor: 'odd@example.com', target: 'dt-three' },
    100,
  );
  assert.deepEqual(
    filtered.map((e) => e.at),
    [10_999, 10_993],
  );
  assert.deepEqual(await log.list(ACC, { targetType: 'user' }, 10), [], 'another account is not listed');

  const exported = [];
  for await (const entry of log.all(ACC, {})) exported.push(entry.at);
  assert.equal(exported.length, 1005);
  assert.deepEqual(exported.slice(0, 2), [10_000, 10_001]);
  assert.equal(exported.at(-1), 11_004);

  const rows = await db.selectFrom('audit_log').selectAll().execute();
  const text = JSON.stringify(rows);
  assert.ok(!text.includes(token), 'no token is stored');
  assert.ok(text.includes(token.slice(0, 14)), 'its masked form is');
});
