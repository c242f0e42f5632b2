import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createFileTestStore, createTestStore, type TestStore } from '../../test/helpers/store.js';
import { createServices } from '../app/services.js';
import { createKeyUsageRecorder, HOUR, hourOf, type KeyUsageRecorder, windowStarts } from './key-usage.js';

let testStore: TestStore;
let recorder: KeyUsageRecorder;
const T0 = Date.UTC(2030, 0, 15, 12, 30); // 12:30 UTC
const errors: unknown[] = [];

before(async () => {
  testStore = await createTestStore();
});
after(async () => {
  await recorder?.close();
  await testStore.dispose();
});
beforeEach(async () => {
  await recorder?.close();
  await testStore.store.db.deleteFrom('api_key_usage').execute();
  await testStore.store.db.deleteFrom('api_key_last_use').execute();
  errors.length = 0;
  recorder = createKeyUsageRecorder(testStore.store.db, {
    flushMs: 0,
    now: () => T0,
    onError: (e) => errors.push(e),
  });
});

async function rowsInStore(): Promise<number> {
  const rows = await testStore.store.db.selectFrom('api_key_usage').selectAll().execute();
  return rows.length;
}

describe('key usage: counted in memory, written in batches', () => {
  test('figures match the requests: per deploy target, per secret, refused by reason; unwritten counts included', async () => {
    for (let i = 0; i < 7; i++) recorder.used('key-a', 1, 'dt-prod', '10.0.0.1', 'curl/8', T0);
    for (let i = 0; i < 3; i++) recorder.used('key-a', 1, 'dt-stage', '10.0.0.2', 'curl/8', T0 + 1);
    recorder.used('key-a', 2, 'dt-prod', '10.0.0.3', 'sdk/1', T0 + 2);
    recorder.refused('key-a', 1, 'deploy_target_not_allowed', 'dt-other', T0);
    recorder.refused('key-a', 1, 'deploy_target_not_allowed', 'dt-other', T0);
    recorder.refused('key-a', 1, 'rate_limited', 'dt-prod', T0);
    recorder.used('key-b', 1, null, '10.0.0.9', undefined, T0);
    assert.equal(await rowsInStore(), 0, 'nothing is written per request');

    const check = async () => {
      const usage = await recorder.usageOf(['key-a', 'key-b', 'key-unused']);
      const a = usage.get('key-a');
      assert.deepEqual(a?.requests, { lastHour: 11, lastDay: 11, last30Days: 11 });
      assert.deepEqual(a?.byDeployTarget, [
        { deployTargetId: 'dt-prod', lastHour: 8, lastDay: 8, last30Days: 8 },
        { deployTargetId: 'dt-stage', lastHour: 3, lastDay: 3, last30Days: 3 },
      ]);
      assert.deepEqual(
        a?.bySecret.map((s) => [s.generation, s.last30Days, s.lastUsedAt]),
        [
          [2, 1, T0 + 2],
          [1, 10, T0 + 1],
        ],
      );
      assert.deepEqual(a?.refused, [
        { reason: 'deploy_target_not_allowed', lastHour: 2, lastDay: 2, last30Days: 2 },
        { reason: 'rate_limited', lastHour: 1, lastDay: 1, last30Days: 1 },
      ]);
      assert.deepEqual(a?.lastUse, {
        at: T0 + 2,
        deployTargetId: 'dt-prod',
        clientAddress: '10.0.0.3',
        userAgent: 'sdk/1',
        generation: 2,
      });
      const b = usage.get('key-b');
      assert.deepEqual(b?.byDeployTarget, [{ deployTargetId: null, lastHour: 1, lastDay: 1, last30Days: 1 }]);
      assert.equal(b?.lastUse?.userAgent, null);
      const unused = usage.get('key-unused');
      assert.deepEqual(unused, {
        lastUse: null,
        requests: { lastHour: 0, lastDay: 0, last30Days: 0 },
        byDeployTarget: [],
        bySecret: [],
        refused: [],
      });
    };
    await check();
    await recorder.flush();
    assert.ok((await rowsInStore()) > 0);
    assert.equal(recorder.stats().pending, 0);
    await check();
    // More of the same after the flush adds to the written rows, never replaces them.
    recorder.used('key-b', 1, null, '10.0.0.9', undefined, T0 + 5);
    await recorder.flush();
    const b = (await recorder.usageOf(['key-b'])).get('key-b');
    assert.equal(b?.requests.last30Days, 2);
    assert.equal(b?.lastUse?.at, T0 + 5);
  });

  test('a batch is one write, whatever the number of requests', async () => {
    for (let i = 0; i < 10_000; i++) recorder.used('key-a', 1, 'dt-prod', '10.0.0.1', 'ua', T0);
    await recorder.flush();
    assert.equal(recorder.stats().flushes, 1);
    const rows = await testStore.store.db.selectFrom('api_key_usage').selectAll().execute();
    assert.deepEqual(
      rows.map((r) => [r.key_id, r.deploy_target_id, r.generation, r.outcome, r.requests]),
      [['key-a', 'dt-prod', 1, 'ok', 10_000]],
    );
  });

  test('an older last use written later does not replace a newer one', async () => {
    recorder.used('key-a', 1, 'dt-new', '10.0.0.1', 'ua', T0 + 10);
    await recorder.flush();
    recorder.used('key-a', 1, 'dt-old', '10.0.0.1', 'ua', T0);
    await recorder.flush();
    const a = (await recorder.usageOf(['key-a'])).get('key-a');
    assert.equal(a?.lastUse?.deployTargetId, 'dt-new');
    assert.equal(a?.lastUse?.at, T0 + 10);
  });

  test('windows: last hour, day and 30 days are whole hours back from the current one', async () => {
    const at = (hoursAgo: number) => T0 - hoursAgo * HOUR;
    recorder.used('key-a', 1, 'dt', null, undefined, at(0)); // this hour
    recorder.used('key-a', 1, 'dt', null, undefined, at(1)); // the hour before: still "last hour"
    recorder.used('key-a', 1, 'dt', null, undefined, at(2));
    recorder.used('key-a', 1, 'dt', null, undefined, at(24));
    recorder.used('key-a', 1, 'dt', null, undefined, at(25));
    recorder.used('key-a', 1, 'dt', null, undefined, at(30 * 24));
    recorder.used('key-a', 1, 'dt', null, undefined, at(30 * 24 + 1));
    const expected = { lastHour: 2, lastDay: 4, last30Days: 6 };
    assert.deepEqual((await recorder.usageOf(['key-a'])).get('key-a')?.requests, expected);
    await recorder.flush();
    assert.deepEqual((await recorder.usageOf(['key-a'])).get('key-a')?.requests, expected);
    assert.deepEqual(windowStarts(T0), {
      lastHour: hourOf(T0) - HOUR,
      lastDay: hourOf(T0) - 24 * HOUR,
      last30Days: hourOf(T0) - 720 * HOUR,
    });
  });

  test('a write that fails keeps its counts for the next one', async () => {
    const { db } = testStore.store;
    recorder.used('key-a', 1, 'dt', '10.0.0.1', 'ua', T0);
    recorder.refused('key-a', 1, 'key_expired', null, T0);
    await db.schema.alterTable('api_key_usage').renameTo('api_key_usage_away').execute();
    try {
      await recorder.flush();
    } finally {
      await db.schema.alterTable('api_key_usage_away').renameTo('api_key_usage').execute();
    }
    assert.equal(recorder.stats().failures, 1);
    assert.equal(errors.length, 1);
    recorder.used('key-a', 1, 'dt', '10.0.0.1', 'ua', T0);
    await recorder.flush();
    const a = (await recorder.usageOf(['key-a'])).get('key-a');
    assert.equal(a?.requests.lastHour, 2);
    assert.deepEqual(a?.refused, [{ reason: 'key_expired', lastHour: 1, lastDay: 1, last30Days: 1 }]);
  });

  test('close writes what is left', async () => {
    recorder.used('key-a', 1, 'dt', null, undefined, T0);
    await recorder.close();
    assert.equal(await rowsInStore(), 1);
  });

  test('buckets older than the longest window are deleted as counts are written', async () => {
    recorder.used('key-a', 1, 'dt', null, undefined, T0 - 40 * 24 * HOUR);
    recorder.used('key-a', 1, 'dt', null, undefined, T0);
    await recorder.flush();
    await recorder.flush();
    const rows = await testStore.store.db.selectFrom('api_key_usage').select('hour').execute();
    assert.deepEqual(
      rows.map((r) => r.hour),
      [hourOf(T0)],
    );
  });

  test('disabled, it counts nothing', async () => {
    const off = createKeyUsageRecorder(testStore.store.db, { enabled: false, now: () => T0 });
    off.used('key-a', 1, 'dt', null, undefined, T0);
    off.refused('key-a', 1, 'key_expired', null, T0);
    await off.close();
    assert.equal((await off.usageOf(['key-a'])).get('key-a')?.requests.last30Days, 0);
    assert.equal(await rowsInStore(), 0);
  });
});

test('on a SQLite file, batches are written by the commit thread (no fsync on the request thread)', async () => {
  const file = await createFileTestStore('usage');
  const services = createServices(file.store, { keyUsageFlushMs: 0 });
  let calls = 0;
  const viaThread = services.events.writeUsage.bind(services.events);
  services.events.writeUsage = (batch) => {
    calls++;
    return viaThread(batch);
  };
  try {
    services.keyUsage.used('key-file', 1, 'dt', '10.0.0.1', 'ua', T0);
    services.keyUsage.refused('key-file', 1, 'key_expired', null, T0);
    await services.keyUsage.flush();
    assert.equal(calls, 1);
    const rows = await file.store.db
      .selectFrom('api_key_usage')
      .select(['outcome', 'requests'])
      .orderBy('outcome')
      .execute();
    assert.deepEqual(rows, [
      { outcome: 'key_expired', requests: 1 },
      { outcome: 'ok', requests: 1 },
    ]);
    const usage = (await services.keyUsage.usageOf(['key-file'], T0)).get('key-file');
    assert.equal(usage?.lastUse?.clientAddress, '10.0.0.1');
  } finally {
    await services.close();
    await file.dispose();
  }
});
