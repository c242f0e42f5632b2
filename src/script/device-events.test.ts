import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { agent, exampleSnapshot, fakeSnapshots } from '../../test/helpers/runtime.js';
import type { EventWrite } from '../events/event-store.js';
import type { EventWriter } from '../events/event-writer.js';
import { StoreUnavailableError } from '../runtime/runtime-service.js';
import type { DeviceEvent } from './device-config.js';
import { createDeviceEvents } from './device-events.js';

function writer(fail = false) {
  const writes: EventWrite[] = [];
  const events = {
    async record(write: EventWrite) {
      if (fail) throw new Error('disk full');
      writes.push(write);
    },
  } as unknown as EventWriter;
  return { writes, events };
}

const AT = Date.UTC(2026, 0, 2, 3, 4, 5);
const snapshot = exampleSnapshot();
snapshot.agents['a-tracks-revenue'] = agent('a-tracks-revenue', { goals: ['g-revenue'] });

function record(
  events: DeviceEvent[],
  options: {
    fail?: boolean;
    snapshots?: ReturnType<typeof fakeSnapshots>;
    session?: string;
    qa?: Parameters<typeof createDeviceEvents>[0]['qa'];
  } = {},
) {
  const w = writer(options.fail);
  const device = createDeviceEvents({
    snapshots: options.snapshots ?? fakeSnapshots(snapshot),
    events: w.events,
    now: () => AT,
    ...(options.qa ? { qa: options.qa } : {}),
  });
  return {
    w,
    outcome: device.record({
      accountId: 'acc-1',
      deployTargetId: 'dt-js',
      session: options.session ?? 's1',
      events,
    }),
  };
}

const where = { accountId: 'acc-1', deployTargetId: 'dt-js', session: 's1', at: AT };

describe('device events', () => {
  test('a selection of a running agent and one of its variations is recorded', async () => {
    const { w, outcome } = record([{ a: 'a-example', c: 'B' }]);
    assert.deepEqual(await outcome, { accepted: 1, ignored: 0 });
    assert.deepEqual(w.writes, [
      { selections: [{ ...where, agent: 'a-example', variation: 'B' }], rewards: [] },
    ]);
  });

  test('what the deployed configuration does not have, or does not count, is ignored', async () => {
    const { w, outcome } = record([
      { a: 'a-unknown', c: 'A' },
      { a: 'a-example', c: 'Z' },
      { a: 'a-paused', c: 'B' },
      { a: 'a-stopped', c: 'A' },
      { a: '__proto__', c: 'A' },
      { g: 'g-unknown', a: 'a-example', c: 'A' },
      { g: 'g-example', a: 'a-tracks-revenue', c: 'A' },
      { g: 'g-example', a: 'a-stopped', c: 'A' },
    ]);
    assert.deepEqual(await outcome, { accepted: 0, ignored: 8 });
    assert.deepEqual(w.writes, [], 'nothing to write: the writer is not called');
  });

  test('a reward records the selection it credits too (beacons may arrive out of order); value defaults to the goal', async () => {
    const { w, outcome } = record([
      { g: 'g-revenue', a: 'a-tracks-revenue', c: 'A' },
      { g: 'g-example', a: 'a-example', c: 'B', v: 4.5 },
    ]);
    assert.deepEqual(await outcome, { accepted: 2, ignored: 0 });
    assert.deepEqual(w.writes[0].selections, [
      { ...where, agent: 'a-tracks-revenue', variation: 'A' },
      { ...where, agent: 'a-example', variation: 'B' },
    ]);
    assert.deepEqual(w.writes[0].rewards, [
      { ...where, agent: 'a-tracks-revenue', goal: 'g-revenue', value: 10 },
      { ...where, agent: 'a-example', goal: 'g-example', value: 4.5 },
    ]);
  });

  test('a paused agent may still be credited, but counts no new selection', async () => {
    const { w, outcome } = record([{ g: 'g-example', a: 'a-paused', c: 'B' }]);
    assert.deepEqual(await outcome, { accepted: 1, ignored: 0 });
    assert.deepEqual(w.writes[0].selections, []);
    assert.equal(w.writes[0].rewards.length, 1);
  });

  test('a live QA session of the account on this target writes nothing; other sessions are not looked up', async () => {
    const asked: string[] = [];
    const qa = {
      async find(accountId: string, deployTargetId: string, session: string) {
        asked.push(session);
        const live = accountId === 'acc-1' && deployTargetId === 'dt-js' && session === 'qa-live';
        return live
          ? {
              code: session,
              deployTarget: deployTargetId,
              name: 'QA',
              forced: {},
              expiresAt: AT + 1,
              createdAt: AT,
              createdBy: 'x',
            }
          : null;
      },
    };
    const events = [{ a: 'a-example', c: 'B' }];
    const live = record(events, { qa, session: 'qa-live' });
    assert.deepEqual(await live.outcome, { accepted: 1, ignored: 0 });
    assert.deepEqual(live.w.writes, []);
    const gone = record(events, { qa, session: 'qa-expired' });
    await gone.outcome;
    assert.equal(gone.w.writes.length, 1, 'a code that is no live QA session counts like any session');
    const normal = record(events, { qa, session: 's1' });
    await normal.outcome;
    assert.equal(normal.w.writes.length, 1);
    assert.deepEqual(asked, ['qa-live', 'qa-expired']);
  });

  test('a target with nothing deployed ignores everything', async () => {
    const { outcome } = record([{ a: 'a-example', c: 'A' }], { snapshots: fakeSnapshots(null) });
    assert.deepEqual(await outcome, { accepted: 0, ignored: 1 });
  });

  test('a store that cannot read or record is StoreUnavailableError', async () => {
    await assert.rejects(record([{ a: 'a-example', c: 'A' }], { fail: true }).outcome, StoreUnavailableError);
    const broken = fakeSnapshots();
    broken.get = async () => {
      throw new Error('connection lost');
    };
    await assert.rejects(
      record([{ a: 'a-example', c: 'A' }], { snapshots: broken }).outcome,
      StoreUnavailableError,
    );
  });
});
