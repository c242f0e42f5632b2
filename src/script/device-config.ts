/**
 * What a device receives: the deployed snapshot of a JS / On-Device target in the form the script
 * tag embeds and the native bundle serves. Plain types and functions, no Node built-ins: the
 * script tag bundles this file too.
 *
 * It is the deployed snapshot minus what the decision engine never reads and a public page should
 * not show: agent, variation and goal names (console labels), and stopped or archived agents (they
 * answer nothing, exactly as an unknown agent does, and credit nothing).
 */
import type {
  AgentStatus,
  Snapshot,
  SnapshotAgent,
  SnapshotGoal,
  SnapshotTrait,
  SnapshotVariation,
} from '../agents/snapshot.js';

/** Bumped when the shape below changes in a way a native app must know about. */
export const DEVICE_FORMAT = 1;

export type DeviceVariation = Omit<SnapshotVariation, 'name'>;

export interface DeviceAgent extends Omit<SnapshotAgent, 'name' | 'variations' | 'status'> {
  status: Extract<AgentStatus, 'running' | 'paused'>;
  variations: DeviceVariation[];
}

export type DeviceGoal = Omit<SnapshotGoal, 'name'>;

export interface DeviceSnapshot {
  /** the configuration version deployed to the target (0: nothing deployed yet) */
  version: number;
  agents: Record<string, DeviceAgent>;
  goals: Record<string, DeviceGoal>;
  /** aiming: the account's custom visitor traits; absent when it defines none */
  traits?: SnapshotTrait[];
}

/** One counted selection (`{a, c}`) or accepted reward (`{g, a, c, v}`), as a device reports it. */
export interface DeviceEvent {
  a: string;
  c: string;
  g?: string;
  v?: number;
}

/** What the server writes into the script tag it serves. */
export interface ScriptConfig {
  account: string;
  target: string;
  /** the JS / On-Device key the script was loaded with; events are sent with it */
  key: string;
  /** where to send events (TESSERA_PUBLIC_URL); null: the origin the script was loaded from */
  origin: string | null;
  snapshot: DeviceSnapshot;
  /** the target's setting: a visitor sending Do-Not-Track or Global Privacy Control is not tracked */
  honourPrivacySignals?: boolean;
  /** the target's setting: keep the visitor's state in a first-party cookie (default localStorage) */
  visitorStorage?: 'localStorage' | 'cookie';
  /** with cookie storage: the cookie's Domain, so subdomains share it; absent: the page's host */
  cookieDomain?: string | null;
}

export function toDeviceSnapshot(snapshot: Snapshot | null): DeviceSnapshot {
  const device: DeviceSnapshot = { version: snapshot?.version ?? 0, agents: {}, goals: {} };
  if (snapshot === null) return device;
  for (const code of Object.keys(snapshot.agents)) {
    const agent = snapshot.agents[code];
    if (agent.status !== 'running' && agent.status !== 'paused') continue;
    device.agents[code] = {
      code: agent.code,
      status: agent.status,
      pausedAt: agent.pausedAt,
      metaKeys: agent.metaKeys,
      variations: agent.variations.map((v) => ({ code: v.code, weight: v.weight, meta: v.meta })),
      conditions: agent.conditions,
      goals: agent.goals,
      ...(agent.eligibility ? { eligibility: agent.eligibility } : {}),
      ...(agent.exclusion ? { exclusion: agent.exclusion } : {}),
      ...(agent.qaOnly ? { qaOnly: true as const } : {}),
      // Adaptive weights travel with the configuration, so the device decides as the server does.
      ...(agent.allocation === 'adaptive' ? { allocation: agent.allocation } : {}),
      ...(agent.adaptiveWeights ? { adaptiveWeights: agent.adaptiveWeights } : {}),
    };
  }
  for (const code of Object.keys(snapshot.goals)) {
    const goal = snapshot.goals[code];
    device.goals[code] = { code: goal.code, value: goal.value };
  }
  if (snapshot.traits) device.traits = snapshot.traits;
  return device;
}

/**
 * The device snapshot as the engine's input. Only names are missing, and the engine never reads
 * them (it treats every field defensively, whatever reaches it).
 */
export function engineSnapshot(device: DeviceSnapshot): Snapshot {
  return device as unknown as Snapshot;
}

/** The path browser and native events are sent to (`?apikey=` or a Bearer header added by the caller). */
export function eventsPath(account: string, target: string): string {
  return `/${encodeURIComponent(account)}/v3/agent-api/js/${encodeURIComponent(target)}/events`;
}
