/**
 * The durable floor: a bare node:http server that parses each request's JSON body and, before
 * answering, appends one row (a visitor state for a session of its own) through Tessera's event
 * writer: the same group commit, on a SQLite file the same commit thread with the same settings
 * (WAL, synchronous=FULL), on PostgreSQL the same pool. Nothing else of Tessera runs: no routing,
 * authentication, engine or reads. What a durable answer costs on this machine, without Tessera.
 *
 * With BENCH_FLOOR=new-session it is the new-session floor instead: the durable work a selection
 * for a new session cannot skip, still without Tessera. It reads the session named in the query
 * (one indexed lookup: a prepared statement on SQLite, the pool on PostgreSQL), picks a variation
 * by a hash of the session (`pick`), and commits two rows: the visitor's state and the counted
 * selection with its daily aggregate, as Tessera does for a new session whose state its selection
 * cannot give back (traits, adaptive allocation, several agents in its first request).
 *
 * With BENCH_FLOOR=least it is the least a new session can cost in any design: the runtime
 * floor's request work (path, query, key found in a map, JSON body, the runtime's answer and
 * headers), the session's lookup among the counted selections (the primary key), and ONE durable
 * row, the counted selection with its daily aggregate, with no state beside it (as Tessera
 * stores a new session whose counted selection gives its state back). On SQLite a session it
 * certainly never wrote (a Bloom filter of the sessions it wrote says so) is not looked up, as
 * Tessera does not look up one its known sessions rule out (events/known-sessions.ts). Printed with an account
 * and a key, as bench/tessera-server.ts is, so the bench sends it the runtime's own requests.
 * Where the new-session target lies on this machine. Sent a reward (`{"g": …}`) for a session it
 * selected, it is the least a reward can cost: the session's variation and the goals it used up
 * found in memory (as Tessera's cache of states holds them), and ONE durable row, the counted
 * reward with its daily aggregate (as Tessera stores a reward that changes nothing else); a goal
 * already used up writes nothing. Where the reward target lies.
 *
 * With BENCH_FLOOR=required it is the least floor doing what the spec asks of every runtime
 * request beside (the required floor): the key's deploy target checked, the body's codes and the
 * session's text checked (a 400 naming the problem), the session's requests taken one at a time,
 * its sessions kept in a cache bounded as Tessera's is (250,000, the same LRU library) and looked
 * up there first, then in the store (a reward's too, as Tessera reads a session it no longer
 * holds), and the key's usage (by deploy target, hour and outcome, and its last use) and the
 * request's metrics (by route and status) counted in memory. Each in the fewest lines that do it:
 * the same work as Tessera's new session and reward, without Tessera.
 *
 * Prints its port on stdout once listening; BENCH_DATABASE_URL (and BENCH_DATABASE_SCHEMA) pick
 * the store, a fresh SQLite file by default.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BloomFilter } from 'bloomfilter';
import { LRUCache } from 'lru-cache';
import { createEventWriter } from '../src/events/event-writer.js';
import {
  keptSessionKey,
  selectCountedEvents,
  selectVisitorStates,
  sessionKey,
  storedSessionReader,
} from '../src/events/session-events.js';
import { allocate } from '../src/runtime/allocation.js';
import { openStore } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';
import { answerJson, answerRuntime, readRuntimeRequest } from './runtime-request.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-floor-'));
const store = openStore({
  url: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'floor.db')}`,
  ...(process.env.BENCH_DATABASE_SCHEMA ? { schema: process.env.BENCH_DATABASE_SCHEMA } : {}),
});
await migrateToLatest(store);
const events = createEventWriter(store);
// The commit thread started (its TypeScript compiled, up to a second on a busy host) before the
// first group commit, as Tessera starts it with the server: the commit times printed at the end
// are then the commits', not the thread's start.
await events.writeUsage({ counters: [], uses: [] });
// One write before listening, as the bench's first request would otherwise be.
await events.record({
  visitor: { accountId: 'floor', session: 'warm', state: '{}', at: Date.now() },
  selections: [],
  rewards: [],
});

const body = JSON.stringify({
  status: 200,
  data: {
    session: 'bench-session-0000000000',
    items: [{ a: 'a-bench', c: 'B', p: 's', s: 'ok', md: { headline: 'b' } }],
    sels: { 'a-bench': 'B' },
    traits: [],
  },
});

const NEW_SESSION = process.env.BENCH_FLOOR === 'new-session';
/**
 * A variation of two by a hash of the session, as any design must pick one: Tessera's own
 * weighted pick (MurmurHash3, under a microsecond here), not a cryptographic hash (SHA-256 cost
 * this floor about 3.5 µs a request of its own, more than the choice needs).
 */
const VARIATIONS = [
  { code: 'A', weight: 1 },
  { code: 'B', weight: 1 },
];
const pick = (session: string, agent: string) => allocate(session, agent, VARIATIONS) ?? 'A';
const readNow = store.sqlite ? storedSessionReader(store.sqlite) : null;
/** The session's stored state, as the runtime reads it on a miss of its cache. */
async function stateOf(session: string): Promise<string | null> {
  if (readNow) return readNow({ accountId: 'floor', session })?.state ?? null;
  const [row] = await selectVisitorStates(store.db, [{ accountId: 'floor', session }]);
  return row?.state ?? null;
}

/** What the new-session floor commits for a request: the state and one counted selection. */
async function newSessionWrite(session: string, commands: unknown): Promise<string> {
  const stored = await stateOf(session);
  const variation = pick(session, 'a-bench');
  const at = Date.now();
  const state =
    stored ??
    JSON.stringify({
      selections: { 'a-bench': { c: variation, p: 'r', s: 'ok' } },
      rewarded: [],
      traits: [],
      commands,
    });
  await events.record({
    visitor: { accountId: 'floor', session, state, at },
    selections: [
      { accountId: 'floor', deployTargetId: 'dt-floor', session, agent: 'a-bench', variation, at },
    ],
    rewards: [],
  });
  return JSON.stringify({
    status: 200,
    data: {
      session,
      items: [{ a: 'a-bench', c: variation, p: 'r', s: 'ok', md: { headline: variation.toLowerCase() } }],
      sels: { 'a-bench': variation },
      traits: [],
    },
  });
}

const REQUIRED = process.env.BENCH_FLOOR === 'required';
const LEAST = REQUIRED || process.env.BENCH_FLOOR === 'least';
const ACCOUNT = 'floor';
const KEY = 'floor-key';
const TARGET = 'dt-floor';
const keys = new Map([[KEY, { accountId: ACCOUNT, deployTargets: new Set([TARGET]) }]]);
const countedOn = store.sqlite?.prepare<[string, string, string], { variation: string }>(
  'select variation from selection_events where account_id = ? and agent = ? and session = ?',
);
// The sessions written, on SQLite (one server): at the 1% false "maybe" Tessera's filters keep.
const written = countedOn ? BloomFilter.withTargetError(1 << 22, 0.01) : null;
/** The agent's counted selection for the session, if it has one: the one read a new session needs. */
async function countedVariation(session: string, agent: string): Promise<string | undefined> {
  if (written && !written.test(session)) return undefined;
  if (countedOn) return countedOn.get(ACCOUNT, agent, session)?.variation;
  const row = await store.db
    .selectFrom('selection_events')
    .select('variation')
    .where('account_id', '=', ACCOUNT)
    .where('agent', '=', agent)
    .where('session', '=', session)
    .executeTakeFirst();
  return row?.variation;
}

/**
 * Sessions this floor selected: what a reward credits, and the goals used up (Tessera's cached
 * states). The required floor keeps them as Tessera does, bounded (its default of 250,000, in the
 * same LRU library), so a million sessions fit in memory; the least floor in a plain map. Kept as
 * Tessera keeps them: under a flat key (`keptSessionKey`, not slices of the URL), and one shared
 * instance per agent and variation for the sessions with no goal used up.
 */
interface Held {
  agent: string;
  variation: string;
  used: readonly string[];
}
const selectedHere: { get(key: string): Held | undefined; set(key: string, held: Held): unknown } = REQUIRED
  ? new LRUCache<string, Held>({ max: 250_000 })
  : new Map<string, Held>();
const unused = new Map<string, Held>();
function selected(agent: string, variation: string): Held {
  const id = `${agent}\u0000${variation}`;
  let held = unused.get(id);
  if (!held) {
    held = { agent, variation, used: [] };
    unused.set(id, held);
  }
  return held;
}

/**
 * A session the required floor's cache no longer holds, read from the store as Tessera reads one
 * (its counted selection and the goals it used up): sessions selected longer ago than the cache's
 * 250,000 most recent. Without it such a reward credited and wrote nothing, and the bench's
 * reward turns reach past the cache on a fast host (its new-session turns outrun their rewards).
 */
async function heldInStore(session: string): Promise<Held | undefined> {
  const ref = { accountId: ACCOUNT, session };
  const stored = readNow ? readNow(ref) : await selectCountedEvents(store.db, [ref]);
  const selection = stored?.selections[0];
  if (!stored || !selection) return undefined;
  const used = stored.rewards.filter((r) => r.agent === selection.agent).map((r) => r.goal);
  return { agent: selection.agent, variation: selection.variation, used };
}

/** The least reward: the session's selection found in memory, ONE durable row, the answer. */
async function leastReward(response: ServerResponse, session: string, goal: string): Promise<number> {
  let held = selectedHere.get(sessionKey(ACCOUNT, session));
  if (!held && REQUIRED) held = await heldInStore(session);
  if (!held || held.used.includes(goal)) {
    answerRuntime(response, {
      session,
      items: [{ g: goal, rs: held ? [{ a: held.agent, v: 0 }] : [] }],
      sels: held ? { [held.agent]: held.variation } : {},
      traits: [],
    });
    return 200;
  }
  const { agent, variation } = held;
  selectedHere.set(keptSessionKey(ACCOUNT, session), { agent, variation, used: [...held.used, goal] });
  await events.record({
    selections: [],
    rewards: [{ accountId: ACCOUNT, deployTargetId: TARGET, session, agent, goal, value: 1, at: Date.now() }],
  });
  answerRuntime(response, {
    session,
    items: [{ g: goal, rs: [{ a: agent, v: 1 }] }],
    sels: { [agent]: variation },
    traits: [],
  });
  return 200;
}

/** The least selection: the session found in memory or among the counted selections, else ONE durable row. */
async function leastSelection(response: ServerResponse, session: string, agent: string): Promise<number> {
  let variation = REQUIRED ? selectedHere.get(sessionKey(ACCOUNT, session))?.variation : undefined;
  variation ??= await countedVariation(session, agent);
  if (variation === undefined) {
    variation = pick(session, agent);
    written?.add(session);
    await events.record({
      selections: [{ accountId: ACCOUNT, deployTargetId: TARGET, session, agent, variation, at: Date.now() }],
      rewards: [],
    });
    selectedHere.set(keptSessionKey(ACCOUNT, session), selected(agent, variation));
  }
  answerRuntime(response, {
    session,
    items: [{ a: agent, c: variation, p: 'r', s: 'ok', md: { headline: variation.toLowerCase() } }],
    sels: { [agent]: variation },
    traits: [],
  });
  return 200;
}

// What the required floor adds to the least: each is something the spec asks of every runtime
// request, written in the fewest lines that do it, with nothing of Tessera.

/** A code the runtime stores (agent, goal): checked before it is kept (bad input gets a 400). */
const CODE = /^[A-Za-z0-9_-]{1,64}$/;
/** The session as stored: 1 to 128 characters of text, no NUL and no lone surrogate. */
const goodSession = (session: string) =>
  session.length >= 1 && session.length <= 128 && !session.includes('\u0000') && session.isWellFormed();

/** Why the request's body or session cannot be taken, or null: as the runtime answers a 400. */
function badRequest(commands: unknown[], session: string | undefined): string | null {
  if (commands.length > 100) return 'commands: at most 100';
  for (const command of commands) {
    if (typeof command !== 'object' || command === null) return 'commands: each is an object';
    const { a, g } = command as { a?: unknown; g?: unknown };
    if (a !== undefined && (typeof a !== 'string' || !CODE.test(a))) return 'commands: a is an agent code';
    if (g !== undefined && (typeof g !== 'string' || !CODE.test(g))) return 'commands: g is a goal code';
  }
  if (session !== undefined && !goodSession(session)) return 'session: 1 to 128 characters of text';
  return null;
}

/** A session's requests one at a time, in order (a turn each): what a visitor is told stays true. */
const turns = new Map<string, (() => void)[]>();
function inTurn(session: string, work: () => Promise<unknown>): void {
  const queue = turns.get(session);
  if (queue) queue.push(() => runTurn(session, work));
  else {
    turns.set(session, []);
    runTurn(session, work);
  }
}
function runTurn(session: string, work: () => Promise<unknown>): void {
  const next = () => {
    const waiting = turns.get(session)?.shift();
    if (waiting) waiting();
    else turns.delete(session);
  };
  work().then(next, next);
}

/** Requests by key, deploy target, hour and outcome, and each key's last use (the key's usage). */
const usage = new Map<string, number>();
const lastUsedAt = new Map<string, number>();
/** Requests by route and status (the metrics). */
const requestsServed = new Map<string, number>();
function counted(key: string, status: number): void {
  const at = Date.now();
  const use = `${key}\u0000${TARGET}\u0000${Math.floor(at / 3_600_000)}\u0000${status < 400 ? 'ok' : status}`;
  usage.set(use, (usage.get(use) ?? 0) + 1);
  lastUsedAt.set(key, at);
  const served = `POST /:acc/v3/agent-api\u0000${status}`;
  requestsServed.set(served, (requestsServed.get(served) ?? 0) + 1);
}

function refuse(response: ServerResponse, status: number, err: string): number {
  answerJson(response, status, { status, err });
  return status;
}

/**
 * The least floors: the runtime floor's request work, the session's lookup and one durable row.
 * The required floor also checks the key's deploy target and the body, takes the session's turn,
 * keeps its sessions bounded and counts the key's usage and the request's metrics.
 */
function least(request: IncomingMessage, response: ServerResponse, raw: Buffer): void {
  const read = readRuntimeRequest(request.url ?? '', raw, keys, response);
  if (!read) return;
  const { session } = read.query;
  const goal = read.commands[0]?.g;
  const agent = read.commands[0]?.a;
  const rewarding = typeof goal === 'string' && Boolean(session);
  const answer = (named: string) =>
    rewarding
      ? leastReward(response, named, goal as string)
      : leastSelection(response, named, agent as string);
  if (!REQUIRED) {
    if (!rewarding && typeof agent !== 'string') {
      response.writeHead(400).end();
      return;
    }
    answer(session || `floor-${next++}`).catch(() => response.writeHead(503).end());
    return;
  }
  const key = read.query.apikey;
  if (!read.key.deployTargets.has(TARGET)) {
    counted(key, refuse(response, 403, 'the key is not for this deploy target'));
    return;
  }
  const bad = badRequest(read.commands, session);
  if (bad !== null || (!rewarding && typeof agent !== 'string')) {
    counted(key, refuse(response, 400, bad ?? 'commands: a selection or a reward'));
    return;
  }
  const named = session || `floor-${next++}`;
  inTurn(named, () =>
    answer(named).then(
      (status) => counted(key, status),
      () => counted(key, refuse(response, 503, 'the store is unavailable')),
    ),
  );
}

let next = 0;
const server = createServer((request, response) => {
  if (LEAST) {
    const parts: Buffer[] = [];
    request.on('data', (part: Buffer) => parts.push(part));
    request.on('end', () => least(request, response, parts.length === 1 ? parts[0] : Buffer.concat(parts)));
    return;
  }
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    let commands: unknown;
    try {
      commands = JSON.parse(Buffer.concat(parts).toString('utf8')).commands;
    } catch {
      response.writeHead(400).end();
      return;
    }
    const url = request.url ?? '';
    const at = url.indexOf('session=');
    const written = NEW_SESSION
      ? newSessionWrite(at === -1 ? `floor-${next++}` : url.slice(at + 'session='.length), commands)
      : events
          .record({
            visitor: {
              accountId: 'floor',
              session: `floor-${next++}`,
              state: JSON.stringify({ selections: {}, rewarded: [], traits: [], commands }),
              at: Date.now(),
            },
            selections: [],
            rewards: [],
          })
          .then(() => body);
    written.then(
      (answer) => {
        response.writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(answer),
        });
        response.end(answer);
      },
      () => response.writeHead(503).end(),
    );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object')
    process.stdout.write(
      `${JSON.stringify(LEAST ? { port: address.port, account: ACCOUNT, key: KEY } : { port: address.port })}\n`,
    );
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void (async () => {
    const stats = events.stats();
    await events.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`${JSON.stringify({ events: stats })}\n`);
    process.exit(0);
  })();
});
