/**
 * The runtime API's work, behind the HTTP route: read the target's deployed snapshot and the
 * visitor's state, let the pure engine decide, and record what it decided (new state, counted
 * selections, accepted rewards) durably before answering.
 *
 * - A target with nothing deployed yet runs an empty snapshot: every agent and goal is unknown,
 *   so selections answer no item (clients fall back to their default) and rewards `rs: []`.
 * - A request without a session gets a new one (22 random base62 characters, about 131 bits).
 * - A store failure (reading the state or committing the write) is a `StoreUnavailableError`:
 *   the client hears 503 and retries, never a 200 for something that was not recorded.
 */

import type { Snapshot } from '../agents/snapshot.js';
import type { EventWrite } from '../events/event-store.js';
import type { EventWriter } from '../events/event-writer.js';
import { pooledRandomBase62 } from '../kernel/ids.js';
import type { DeployedSnapshots } from '../targets/deployed-snapshots.js';
import type { QaSession, QaSessionService } from '../targets/qa-sessions.js';
import {
  type Command,
  type ExecuteResult,
  emptyVisitorState,
  execute,
  type Item,
  type VisitorState,
} from './engine.js';
import { givenBack, type VisitorStore } from './visitor-store.js';

export const MAX_SESSION_LENGTH = 256;

export interface RuntimeRequest {
  accountId: string;
  deployTargetId: string;
  /** the caller's session; undefined = make a new one */
  session?: string;
  commands: Command[];
  inputs: Record<string, string>;
  /** raw `group:value` strings from the query */
  queryTraits: string[];
  /** the `ua` query parameter (never the request's own User-Agent header) */
  userAgent?: string;
  debug: boolean;
  /** time of the request for weekday and hour rules (ms since the epoch); default: now */
  now?: number;
}

export interface RuntimeAnswer {
  session: string;
  items: Item[];
  sels: Record<string, string>;
  traits: string[];
  log?: string[];
}

export interface RuntimeService {
  execute(request: RuntimeRequest): Promise<RuntimeAnswer>;
  /**
   * The playground (docs/targeting.md): the answer this request would get, with the reasons, from
   * the session's stored state, writing and counting nothing. No commands: every agent deployed.
   */
  preview(request: RuntimeRequest): Promise<PreviewAnswer>;
  /** Deletes the session's stored state (a QA session starting afresh), after its running requests. */
  forget(accountId: string, session: string): Promise<void>;
}

export interface PreviewAnswer extends RuntimeAnswer {
  log: string[];
  /** the QA session this session is on the target, if any */
  qa: string | null;
  /** per agent asked: its answer (null: no item) and the reasons given */
  agents: { a: string; c: string | null; p: string | null; why: string[] }[];
}

/** The store could not read or durably record what a request needs; nothing was acknowledged. */
export class StoreUnavailableError extends Error {
  constructor(cause: unknown) {
    super('The store is not available; retry shortly', { cause });
  }
}

export const EMPTY_SNAPSHOT: Snapshot = Object.freeze({ version: 0, agents: {}, goals: {} }) as Snapshot;

export function newSession(): string {
  return pooledRandomBase62(22);
}

export interface RuntimeServiceDeps {
  snapshots: DeployedSnapshots;
  visitors: VisitorStore;
  events: EventWriter;
  /** QA sessions (docs/targeting.md); only sessions starting with `qa-` are looked up */
  qa?: Pick<QaSessionService, 'find' | 'recordRequest'>;
  now?: () => number;
}

/** What a request is decided from: the target's snapshot, the session's state, its QA session. */
interface Inputs {
  snapshot: Snapshot | null;
  stored: VisitorState | null;
  qa: QaSession | null;
}

export function createRuntimeService(deps: RuntimeServiceDeps): RuntimeService {
  const { snapshots, visitors, events } = deps;
  const now = deps.now ?? Date.now;

  /** Whether the session may be a QA session, which only the store can tell (`deps.qa.find`). */
  const mayBeQa = (session: string, isNew: boolean) =>
    !isNew && deps.qa !== undefined && session.startsWith('qa-');

  /** The inputs when memory holds them all: no read, no wait. Undefined: `read` them. */
  function inputsAtOnce(request: RuntimeRequest, session: string, isNew: boolean): Inputs | undefined {
    if (mayBeQa(session, isNew)) return undefined;
    const snapshot = snapshots.peek(request.accountId, request.deployTargetId);
    if (snapshot === undefined) return undefined;
    let stored: VisitorState | null | undefined;
    try {
      stored = isNew ? null : visitors.peek(request.accountId, session);
    } catch (error) {
      throw new StoreUnavailableError(error);
    }
    return stored === undefined ? undefined : { snapshot, stored, qa: null };
  }

  async function read(request: RuntimeRequest, session: string, isNew: boolean): Promise<Inputs> {
    const { accountId, deployTargetId } = request;
    try {
      const snapshot = await snapshots.get(accountId, deployTargetId);
      const stored = isNew ? null : await visitors.get(accountId, session);
      const qa =
        deps.qa && mayBeQa(session, isNew) ? await deps.qa.find(accountId, deployTargetId, session) : null;
      return { snapshot, stored, qa };
    } catch (error) {
      throw new StoreUnavailableError(error);
    }
  }

  function decide(request: RuntimeRequest, session: string, { snapshot, stored, qa }: Inputs): ExecuteResult {
    const result = execute(snapshot ?? EMPTY_SNAPSHOT, stored ?? emptyVisitorState(), {
      session,
      commands: request.commands,
      inputs: request.inputs,
      queryTraits: request.queryTraits,
      userAgent: request.userAgent,
      // A QA session's requests are kept with their debug log for the console.
      debug: request.debug || qa !== null,
      now: request.now ?? now(),
      ...(qa ? { qa: { forced: qa.forced } } : {}),
    });
    // A QA session's selections and rewards are never counted; its state is kept (stickiness).
    if (qa) result.events.length = 0;
    return result;
  }

  /**
   * Records what the request decided, durably, then answers it: in the session's turn. Written
   * with `then` rather than `await`: it runs once per request that records, and each suspension
   * of an async function is a promise and a trip through the microtask queue more.
   */
  function record(
    request: RuntimeRequest,
    session: string,
    isNew: boolean,
    inputs: Inputs,
    result: ExecuteResult,
  ): Promise<RuntimeAnswer> {
    const { accountId, deployTargetId } = request;
    const { stored } = inputs;
    if (result.changed || result.events.length > 0) {
      const at = now();
      const write: EventWrite = { selections: [], rewards: [] };
      // The session's custom traits as of this request, kept with each counted selection so a
      // report can break it down by them (its rewards later credit the same values).
      const traits = result.traits.filter((t) => t.startsWith('cust/'));
      for (const event of result.events) {
        if (event.type === 'selection') {
          write.selections.push({
            accountId,
            deployTargetId,
            session,
            agent: event.agent,
            variation: event.variation,
            at,
            ...(traits.length > 0 ? { traits } : {}),
          });
        } else {
          write.rewards.push({
            accountId,
            deployTargetId,
            session,
            agent: event.agent,
            goal: event.goal,
            value: event.value,
            at,
          });
        }
      }
      // A state that what this write counts gives back (a new session's first, a reward's) is
      // not stored beside it: one durable row (visitor-store.ts, `givenBack`). Compared in the
      // form the cache keeps, which the commit then remembers.
      const kept = result.changed ? visitors.kept(result.state) : null;
      if (kept !== null && !givenBack(stored, kept, write))
        write.visitor = { accountId, session, state: JSON.stringify(result.state), at };
      let recorded: Promise<void>;
      try {
        recorded = events.record(write);
      } catch (error) {
        recorded = Promise.reject(error);
      }
      return recorded.then(
        () => {
          if (kept !== null) visitors.remember(accountId, session, kept);
          return answered(request, session, isNew, inputs, result);
        },
        (error: unknown) => {
          // Whatever this server believed about the session may be ahead of the store now.
          visitors.forget(accountId, session);
          throw new StoreUnavailableError(error);
        },
      );
    }
    // A session without state stays known as one, so its next request reads nothing.
    if (stored === null) visitors.remember(accountId, session, null);
    return Promise.resolve(answered(request, session, isNew, inputs, result));
  }

  /** The answer of a request whose writes are durable; a QA session's request is kept for the console. */
  function answered(
    request: RuntimeRequest,
    session: string,
    isNew: boolean,
    inputs: Inputs,
    result: ExecuteResult,
  ): RuntimeAnswer | Promise<RuntimeAnswer> {
    const answer = answerOf(request, session, isNew, inputs, result);
    const { qa } = inputs;
    if (!qa || !deps.qa) return answer;
    // The console's record of a QA request is a convenience: the answer stands without it.
    const kept = () => answer;
    try {
      return deps.qa
        .recordRequest(request.accountId, qa.code, {
          at: now(),
          deployTarget: request.deployTargetId,
          commands: request.commands,
          inputs: request.inputs,
          traits: request.queryTraits,
          items: result.items,
          log: result.log ?? [],
        })
        .then(kept, kept);
    } catch {
      return answer;
    }
  }

  function answerOf(
    request: RuntimeRequest,
    session: string,
    isNew: boolean,
    { snapshot }: Inputs,
    result: ExecuteResult,
  ): RuntimeAnswer {
    const answer: RuntimeAnswer = { session, items: result.items, sels: result.sels, traits: result.traits };
    if (request.debug) {
      const log = result.log ?? [];
      const preface: string[] = [];
      if (isNew) preface.push(`No session was given: started session '${session}'`);
      if (snapshot === null)
        preface.push(
          `Deploy target ${request.deployTargetId} has nothing deployed yet: every agent and goal is unknown here`,
        );
      answer.log = preface.length > 0 ? [...preface, ...log] : log;
    }
    return answer;
  }

  async function preview(request: RuntimeRequest): Promise<PreviewAnswer> {
    const { accountId, deployTargetId } = request;
    const session = request.session || newSession();
    let snapshot: Snapshot | null;
    let stored: VisitorState | null;
    let qa: QaSession | null = null;
    try {
      snapshot = await snapshots.get(accountId, deployTargetId);
      stored = await visitors.get(accountId, session);
      if (deps.qa && session.startsWith('qa-')) qa = await deps.qa.find(accountId, deployTargetId, session);
    } catch (error) {
      throw new StoreUnavailableError(error);
    }
    const deployed = snapshot ?? EMPTY_SNAPSHOT;
    const commands: Command[] =
      request.commands.length > 0
        ? request.commands
        : Object.keys(deployed.agents)
            .sort()
            .map((a) => ({ a }));
    const result = execute(deployed, stored ?? emptyVisitorState(), {
      session,
      commands,
      inputs: request.inputs,
      queryTraits: request.queryTraits,
      userAgent: request.userAgent,
      debug: true,
      now: request.now ?? now(),
      ...(qa ? { qa: { forced: qa.forced } } : {}),
    });
    const log = result.log ?? [];
    const agents: PreviewAnswer['agents'] = [];
    for (const command of commands) {
      if (!('a' in command) || agents.some((e) => e.a === command.a)) continue;
      const item = result.items.find((i) => 'a' in i && i.a === command.a);
      const prefix = `Agent '${command.a}'`;
      agents.push({
        a: command.a,
        c: item && 'c' in item ? item.c : null,
        p: item && 'p' in item ? item.p : null,
        why: log
          .filter((line) => line.startsWith(prefix))
          // The engine speaks of a real request; the playground remembers and counts nothing.
          .map((line) =>
            line
              .slice(prefix.length + 2)
              .replace(
                / remembered (for the session )?(and counted|as provisional)/,
                ' would be remembered $2',
              ),
          ),
      });
    }
    return {
      session,
      items: result.items,
      sels: result.sels,
      traits: result.traits,
      log,
      qa: qa?.code ?? null,
      agents,
    };
  }

  return {
    preview,
    forget(accountId, session) {
      return visitors.exclusive(accountId, session, () => visitors.erase(accountId, session));
    },
    execute(request) {
      const given = request.session !== undefined && request.session !== '';
      const session = given ? (request.session as string) : newSession();
      const { accountId } = request;
      try {
        // With no other request of the session running and all it needs in memory (the usual
        // request on a SQLite file), it decides at once: nothing can change its inputs before its
        // turn starts, which is at once too (`exclusive`). An answer that records nothing for a
        // session with a state needs no turn at all, as no request of the session is running
        // (bench/, alternating turns: the repeated session, 50 requests of one session at a
        // time, answered 19% more per second at 15% less CPU on the request thread; new
        // sessions, which skip the awaits of the reads, 3 to 7% more).
        const inputs = visitors.busy(accountId, session) ? undefined : inputsAtOnce(request, session, !given);
        if (inputs) {
          const result = decide(request, session, inputs);
          if (!result.changed && result.events.length === 0 && inputs.stored !== null)
            return Promise.resolve(answerOf(request, session, !given, inputs, result));
          return visitors.exclusive(accountId, session, () =>
            record(request, session, !given, inputs, result),
          );
        }
      } catch (error) {
        return Promise.reject(error);
      }
      return visitors.exclusive(accountId, session, async () => {
        const inputs = await read(request, session, !given);
        return record(request, session, !given, inputs, decide(request, session, inputs));
      });
    },
  };
}
