/**
 * How each API key is used, so that nobody deletes a key that is still in use: the last accepted
 * request (when, on which deploy target, from which client address and user agent, with which
 * secret generation), requests per deploy target, per secret generation (is a rolled key's old
 * secret still in use?) and refused requests by reason, over the last hour, day and 30 days.
 *
 * Counting happens on the request path, so `used` and `refused` are synchronous and O(1): a Map
 * increment (and, for `used`, an overwrite of the key's last use), no promise, no store. A timer
 * writes what was counted every few seconds (and at close) in one transaction, into hourly
 * buckets; a write that fails keeps its counts for the next one. Reads add what is not written
 * yet, so this server's figures are exact at once; other servers' arrive with their next flush.
 *
 * Windows are whole UTC hours: "last hour" counts the current hour and the one before it, "last
 * day" the current hour and the 24 before it, "last 30 days" the current hour and the 720 before
 * it. A window never misses a request made within it, and may include up to one hour more.
 */
import type { Kysely } from 'kysely';
import {
  pruneUsage,
  readUsage,
  type UsageBatch,
  type UsageCounter,
  type UsageLastUse,
  writeUsage,
} from '../events/usage-store.js';
import { createKeyedLock } from '../kernel/keyed-lock.js';
import type { Database } from '../store/schema.js';

export const HOUR = 3_600_000;
const DAY = 24 * HOUR;
/** Buckets older than this are deleted (the longest window, plus its extra hour). */
const RETENTION = 30 * DAY + 2 * HOUR;
const MAX_USER_AGENT = 300;

/** The outcome of an accepted request; refusals are counted under their code. */
export const ACCEPTED = 'ok';

export interface UsageWindows {
  lastHour: number;
  lastDay: number;
  last30Days: number;
}

/** A key's last accepted request with one secret generation. */
export type KeyLastUse = Omit<UsageLastUse, 'keyId'>;

export interface KeyUsage {
  /** the last accepted request, with any secret of the key */
  lastUse: KeyLastUse | null;
  /** accepted requests */
  requests: UsageWindows;
  /** accepted requests per deploy target (null: requests with no target, such as the Admin API) */
  byDeployTarget: Array<{ deployTargetId: string | null } & UsageWindows>;
  /** accepted requests per secret generation, with its last use */
  bySecret: Array<{ generation: number; lastUsedAt: number | null } & UsageWindows>;
  /** refused requests by reason (only refusals where the key was recognised) */
  refused: Array<{ reason: string } & UsageWindows>;
}

export interface KeyUsageRecorder {
  /** An accepted request. Synchronous, O(1), memory only. */
  used(
    keyId: string,
    generation: number,
    deployTargetId: string | null,
    clientAddress: string | null,
    userAgent: string | undefined,
    now: number,
  ): void;
  /** A refused request of a recognised key. Synchronous, O(1), memory only. */
  refused(
    keyId: string,
    generation: number,
    reason: string,
    deployTargetId: string | null,
    now: number,
  ): void;
  /** Usage of each key (written and not yet written), keys without any use included. */
  usageOf(keyIds: readonly string[], now?: number): Promise<Map<string, KeyUsage>>;
  /** Writes what was counted so far. */
  flush(): Promise<void>;
  /** Stops the timer and writes what is left. */
  close(): Promise<void>;
  stats(): { pending: number; flushes: number; failures: number; flushMs: number; maxFlushMs: number };
}

export interface KeyUsageOptions {
  /** false: count nothing (the benchmark's baseline) */
  enabled?: boolean;
  /** how often counts are written (ms); 0: only on `flush` and `close` */
  flushMs?: number;
  now?: () => number;
  onError?: (error: unknown) => void;
  /**
   * How a batch is written (default: with `db` on this thread). A SQLite file hands it to its
   * commit thread, so the fsync of a flush never stalls the requests being served.
   */
  write?: (batch: UsageBatch) => Promise<void>;
}

export const hourOf = (t: number): number => t - (t % HOUR);

/** The first hour each window counts (see the module comment). */
export function windowStarts(now: number): UsageWindows {
  return { lastHour: hourOf(now - HOUR), lastDay: hourOf(now - DAY), last30Days: hourOf(now - 30 * DAY) };
}

const zero = (): UsageWindows => ({ lastHour: 0, lastDay: 0, last30Days: 0 });

function addWindows(to: UsageWindows, from: UsageWindows): void {
  to.lastHour += from.lastHour;
  to.lastDay += from.lastDay;
  to.last30Days += from.last30Days;
}

function windowsOf(hour: number, requests: number, starts: UsageWindows): UsageWindows {
  return {
    lastHour: hour >= starts.lastHour ? requests : 0,
    lastDay: hour >= starts.lastDay ? requests : 0,
    last30Days: hour >= starts.last30Days ? requests : 0,
  };
}

/** Builds one key's figures from its parts. */
class UsageBuilder {
  lastUse: KeyLastUse | null = null;
  readonly requests = zero();
  readonly targets = new Map<string, UsageWindows>();
  readonly secrets = new Map<number, UsageWindows & { lastUsedAt: number | null }>();
  readonly refusals = new Map<string, UsageWindows>();

  add(deployTargetId: string, generation: number, outcome: string, windows: UsageWindows): void {
    if (outcome !== ACCEPTED) {
      const refused = this.refusals.get(outcome) ?? zero();
      addWindows(refused, windows);
      this.refusals.set(outcome, refused);
      return;
    }
    addWindows(this.requests, windows);
    const target = this.targets.get(deployTargetId) ?? zero();
    addWindows(target, windows);
    this.targets.set(deployTargetId, target);
    addWindows(this.secret(generation), windows);
  }

  seen(use: KeyLastUse): void {
    const secret = this.secret(use.generation);
    if (secret.lastUsedAt === null || use.at > secret.lastUsedAt) secret.lastUsedAt = use.at;
    if (this.lastUse === null || use.at > this.lastUse.at) {
      const { at, deployTargetId, clientAddress, userAgent, generation } = use;
      this.lastUse = { at, deployTargetId, clientAddress, userAgent, generation };
    }
  }

  private secret(generation: number) {
    let secret = this.secrets.get(generation);
    if (!secret) {
      secret = { ...zero(), lastUsedAt: null };
      this.secrets.set(generation, secret);
    }
    return secret;
  }

  build(): KeyUsage {
    return {
      lastUse: this.lastUse,
      requests: this.requests,
      byDeployTarget: [...this.targets]
        .map(([id, w]) => ({ deployTargetId: id === '' ? null : id, ...w }))
        .sort(
          (a, b) =>
            b.last30Days - a.last30Days || String(a.deployTargetId).localeCompare(String(b.deployTargetId)),
        ),
      bySecret: [...this.secrets]
        .map(([generation, w]) => ({ generation, ...w }))
        .sort((a, b) => b.generation - a.generation),
      refused: [...this.refusals]
        .map(([reason, w]) => ({ reason, ...w }))
        .sort((a, b) => a.reason.localeCompare(b.reason)),
    };
  }
}

/** The map under `key`, made when missing. */
function level<K, V extends Map<unknown, unknown>>(map: Map<K, V>, key: K): V {
  let child = map.get(key);
  if (child === undefined) {
    child = new Map() as V;
    map.set(key, child);
  }
  return child;
}

/**
 * What was counted and not yet written. Nested maps keyed by values the request already holds (the
 * key id and target id strings of cached records, the outcome's literal, numbers), so counting a
 * request builds no string: a handful of Map lookups and an increment.
 */
class Pending {
  /** key id → hour → deploy target ('' = none) → outcome → secret generation → counter */
  private readonly counts = new Map<
    string,
    Map<number, Map<string, Map<string, Map<number, UsageCounter>>>>
  >();
  /** key id → secret generation → last accepted use */
  private readonly lastUses = new Map<string, Map<number, UsageLastUse>>();
  size = 0;

  count(keyId: string, hour: number, deployTargetId: string, outcome: string, generation: number, n: number) {
    const byGeneration = level(level(level(level(this.counts, keyId), hour), deployTargetId), outcome);
    const counter = byGeneration.get(generation);
    if (counter) counter.requests += n;
    else {
      byGeneration.set(generation, { keyId, hour, deployTargetId, generation, outcome, requests: n });
      this.size++;
    }
  }

  use(
    keyId: string,
    generation: number,
    at: number,
    deployTargetId: string | null,
    clientAddress: string | null,
    userAgent: string | null,
  ) {
    const byGeneration = level(this.lastUses, keyId);
    const last = byGeneration.get(generation);
    if (!last) {
      byGeneration.set(generation, { keyId, generation, at, deployTargetId, clientAddress, userAgent });
      this.size++;
    } else if (at >= last.at) {
      last.at = at;
      last.deployTargetId = deployTargetId;
      last.clientAddress = clientAddress;
      last.userAgent = userAgent;
    }
  }

  *counters(): Generator<UsageCounter> {
    for (const byHour of this.counts.values())
      for (const byTarget of byHour.values())
        for (const byOutcome of byTarget.values())
          for (const byGeneration of byOutcome.values()) yield* byGeneration.values();
  }

  *uses(): Generator<UsageLastUse> {
    for (const byGeneration of this.lastUses.values()) yield* byGeneration.values();
  }
}

export function createKeyUsageRecorder(
  db: Kysely<Database>,
  options: KeyUsageOptions = {},
): KeyUsageRecorder {
  const enabled = options.enabled !== false;
  const clock = options.now ?? Date.now;
  const write = options.write ?? ((batch: UsageBatch) => writeUsage(db, batch));
  let pending = new Pending();
  let flushes = 0;
  let failures = 0;
  let flushTime = 0;
  let maxFlushTime = 0;
  let prunedAt = 0;

  // Flushes and reads take turns: a read never sees counts both in memory and in the store, nor
  // misses counts on their way from one to the other.
  const turns = createKeyedLock();
  const exclusive = <T>(work: () => Promise<T>): Promise<T> => turns.run('store', work);

  /** Puts back what a failed write carried, so the next flush writes it. */
  function restore(batch: Pending): void {
    for (const c of batch.counters())
      pending.count(c.keyId, c.hour, c.deployTargetId, c.outcome, c.generation, c.requests);
    for (const u of batch.uses())
      pending.use(u.keyId, u.generation, u.at, u.deployTargetId, u.clientAddress, u.userAgent);
  }

  async function prune(now: number): Promise<void> {
    if (now - prunedAt < HOUR) return;
    prunedAt = now;
    await pruneUsage(db, hourOf(now - RETENTION));
  }

  function flush(): Promise<void> {
    return exclusive(async () => {
      if (pending.size > 0) {
        const batch = pending;
        pending = new Pending();
        const started = performance.now();
        try {
          await write({ counters: [...batch.counters()], uses: [...batch.uses()] });
          flushes++;
          const took = performance.now() - started;
          flushTime += took;
          maxFlushTime = Math.max(maxFlushTime, took);
        } catch (error) {
          failures++;
          restore(batch);
          options.onError?.(error);
          return;
        }
      }
      try {
        await prune(clock());
      } catch (error) {
        options.onError?.(error);
      }
    });
  }

  async function readStore(
    keyIds: readonly string[],
    starts: UsageWindows,
    builders: Map<string, UsageBuilder>,
  ) {
    const { counts, uses } = await readUsage(db, keyIds, starts);
    for (const row of counts)
      builders.get(row.keyId)?.add(row.deployTargetId, row.generation, row.outcome, row);
    for (const use of uses) builders.get(use.keyId)?.seen(use);
  }

  const flushMs = options.flushMs ?? 5_000;
  let timer: NodeJS.Timeout | undefined =
    enabled && flushMs > 0 ? setInterval(() => void flush(), flushMs) : undefined;
  timer?.unref();

  return {
    used(keyId, generation, deployTargetId, clientAddress, userAgent, now) {
      if (!enabled) return;
      pending.count(keyId, now - (now % HOUR), deployTargetId ?? '', ACCEPTED, generation, 1);
      const agent =
        userAgent === undefined
          ? null
          : userAgent.length > MAX_USER_AGENT
            ? userAgent.slice(0, MAX_USER_AGENT)
            : userAgent;
      pending.use(keyId, generation, now, deployTargetId, clientAddress, agent);
    },
    refused(keyId, generation, reason, deployTargetId, now) {
      if (!enabled) return;
      pending.count(keyId, now - (now % HOUR), deployTargetId ?? '', reason, generation, 1);
    },
    usageOf(keyIds, now = clock()) {
      return exclusive(async () => {
        const builders = new Map(keyIds.map((id) => [id, new UsageBuilder()]));
        const starts = windowStarts(now);
        if (keyIds.length > 0) await readStore(keyIds, starts, builders);
        for (const c of pending.counters()) {
          builders
            .get(c.keyId)
            ?.add(c.deployTargetId, c.generation, c.outcome, windowsOf(c.hour, c.requests, starts));
        }
        for (const use of pending.uses()) builders.get(use.keyId)?.seen(use);
        return new Map([...builders].map(([id, builder]) => [id, builder.build()]));
      });
    },
    flush,
    async close() {
      if (timer) clearInterval(timer);
      timer = undefined;
      await flush();
    },
    stats: () => ({ pending: pending.size, flushes, failures, flushMs: flushTime, maxFlushMs: maxFlushTime }),
  };
}
