/**
 * Runtime test helpers: a deployed snapshot built in the test (a fake of the deployments module)
 * and a shorthand for calling the runtime API.
 */

import type { Snapshot, SnapshotAgent, SnapshotCondition } from '../../src/agents/snapshot.js';
import type { DeployedSnapshots } from '../../src/targets/deployed-snapshots.js';

export function condition(when: SnapshotCondition['when'], variation: string): SnapshotCondition {
  // biome-ignore lint/suspicious/noThenProperty: `then` is the condition field of the wire format (PRODUCT.md 3.3).
  return { when, then: variation };
}

export function agent(code: string, over: Partial<SnapshotAgent> = {}): SnapshotAgent {
  return {
    code,
    name: code,
    status: 'running',
    pausedAt: null,
    metaKeys: [],
    variations: [
      { code: 'A', weight: 1, meta: {} },
      { code: 'B', weight: 1, meta: {} },
    ],
    conditions: [],
    goals: null,
    ...over,
  };
}

/** The agents of spec 3.3's example and a few more, as one snapshot. */
export function exampleSnapshot(): Snapshot {
  return {
    version: 1,
    agents: {
      'a-example': agent('a-example', {
        name: 'Example',
        metaKeys: ['magic'],
        variations: [
          { code: 'A', name: 'Control', weight: 1, meta: { magic: 'Amagic' } },
          { code: 'B', weight: 1, meta: {} },
          { code: 'C', weight: 0, meta: {} },
        ],
        conditions: [condition([{ input: 'foo', is: 'bar' }], 'C'), condition([{ trait: 'cust/F:1' }], 'A')],
        goals: ['g-example'],
      }),
      'a-paused': agent('a-paused', { status: 'paused', pausedAt: 'B' }),
      'a-stopped': agent('a-stopped', { status: 'stopped' }),
      'a-numeric': agent('a-numeric', {
        conditions: [
          condition(
            [
              { input: 'n', is: '5' },
              { input: 'flag', is: 'true' },
            ],
            'B',
          ),
        ],
      }),
      'a-three': agent('a-three', {
        variations: [
          { code: 'A', weight: 1, meta: {} },
          { code: 'B', weight: 1, meta: {} },
          { code: 'C', weight: 1, meta: {} },
        ],
      }),
    },
    goals: {
      'g-example': { code: 'g-example', name: 'Signed up', value: 1 },
      'g-revenue': { code: 'g-revenue', name: 'Revenue', value: 10 },
    },
  };
}

/** A fake of the deployments module: what each target serves, settable by the test. */
export function fakeSnapshots(initial: Snapshot | null = exampleSnapshot()) {
  const byTarget = new Map<string, Snapshot | null>();
  let fallback: Snapshot | null = initial;
  const deployed: DeployedSnapshots & {
    set(deployTargetId: string, snapshot: Snapshot | null): void;
    setAll(snapshot: Snapshot | null): void;
  } = {
    async get(accountId, deployTargetId) {
      return deployed.peek(accountId, deployTargetId) ?? null;
    },
    peek(_accountId, deployTargetId) {
      return byTarget.has(deployTargetId) ? (byTarget.get(deployTargetId) ?? null) : fallback;
    },
    set(deployTargetId, snapshot) {
      byTarget.set(deployTargetId, snapshot);
    },
    setAll(snapshot) {
      byTarget.clear();
      fallback = snapshot;
    },
    stats() {
      return { targets: byTarget.size, bytes: 0 };
    },
  };
  return deployed;
}
