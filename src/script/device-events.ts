/**
 * Events sent by devices (the script tag's beacons, native apps): counted selections and accepted
 * rewards a device decided locally. They are recorded by the same durable event writer as the
 * runtime API's, so they land in the same reports under the same rules: a selection counts once
 * per account, agent and session, a reward once per goal, agent and session, credited to the
 * session's counted selection.
 *
 * A device cannot be trusted to know more than the target serves, so an event is checked against
 * the snapshot deployed to the target now and ignored (not an error: a page may hold a script a
 * minute older than a deployment) when it names an agent that is not running there, a variation it
 * does not have, or a goal it does not track. A reward also carries the selection it credits, and
 * records that selection too (idempotently): beacons can arrive out of order.
 *
 * A live QA session of the account on this target is never counted, as on the runtime API: its
 * events are checked and accepted alike, so the page sees no difference, but nothing is written.
 */

import type { Snapshot, SnapshotAgent } from '../agents/snapshot.js';
import type { EventWrite } from '../events/event-store.js';
import type { EventWriter } from '../events/event-writer.js';
import { StoreUnavailableError } from '../runtime/runtime-service.js';
import type { DeployedSnapshots } from '../targets/deployed-snapshots.js';
import type { QaSessionService } from '../targets/qa-sessions.js';
import type { DeviceEvent } from './device-config.js';

export interface DeviceEventBatch {
  accountId: string;
  deployTargetId: string;
  session: string;
  events: DeviceEvent[];
}

export interface DeviceEventOutcome {
  /** events that match the deployed configuration and were recorded (replays included) */
  accepted: number;
  /** events that do not match it */
  ignored: number;
}

export interface DeviceEvents {
  /** Resolves once the accepted events are durably recorded; StoreUnavailableError otherwise. */
  record(batch: DeviceEventBatch): Promise<DeviceEventOutcome>;
}

function agentOf(snapshot: Snapshot, code: string): SnapshotAgent | undefined {
  return Object.hasOwn(snapshot.agents, code) ? snapshot.agents[code] : undefined;
}

export function createDeviceEvents(deps: {
  snapshots: DeployedSnapshots;
  events: EventWriter;
  /** QA sessions (docs/targeting.md); only sessions starting with `qa-` are looked up */
  qa?: Pick<QaSessionService, 'find'>;
  now?: () => number;
}): DeviceEvents {
  const now = deps.now ?? Date.now;
  return {
    async record({ accountId, deployTargetId, session, events }) {
      let snapshot: Snapshot | null;
      try {
        snapshot = await deps.snapshots.get(accountId, deployTargetId);
      } catch (error) {
        throw new StoreUnavailableError(error);
      }
      const at = now();
      const write: EventWrite = { selections: [], rewards: [] };
      const select = (agent: string, variation: string) =>
        write.selections.push({ accountId, deployTargetId, session, agent, variation, at });
      let accepted = 0;
      for (const event of events) {
        const agent = snapshot ? agentOf(snapshot, event.a) : undefined;
        const variationExists = agent?.variations.some((v) => v.code === event.c) ?? false;
        if (!snapshot || !agent || !variationExists) continue;
        if (event.g === undefined) {
          if (agent.status !== 'running') continue;
          select(event.a, event.c);
        } else {
          const goal = Object.hasOwn(snapshot.goals, event.g) ? snapshot.goals[event.g] : undefined;
          const tracked = agent.goals === null || agent.goals.includes(event.g);
          if (!goal || !tracked || (agent.status !== 'running' && agent.status !== 'paused')) continue;
          if (agent.status === 'running') select(event.a, event.c);
          write.rewards.push({
            accountId,
            deployTargetId,
            session,
            agent: event.a,
            goal: event.g,
            value: event.v ?? goal.value,
            at,
          });
        }
        accepted++;
      }
      if (accepted > 0 && deps.qa && session.startsWith('qa-')) {
        let qa: Awaited<ReturnType<QaSessionService['find']>>;
        try {
          qa = await deps.qa.find(accountId, deployTargetId, session);
        } catch (error) {
          throw new StoreUnavailableError(error);
        }
        if (qa) return { accepted, ignored: events.length - accepted };
      }
      if (accepted > 0) {
        try {
          await deps.events.record(write);
        } catch (error) {
          throw new StoreUnavailableError(error);
        }
      }
      return { accepted, ignored: events.length - accepted };
    },
  };
}
