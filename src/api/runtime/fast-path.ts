/**
 * The runtime API's fast path: `POST /{acc}/v3/agent-api[/{dt}]` answered on node:http directly,
 * without Fastify's routing, hooks and reply machinery (bench/: what it saves, measured beside
 * the route). It takes only the ordinary request, decided before a byte of the body is read, and
 * hands anything else to Fastify's route untouched, so Fastify stays the one place that decides
 * every unusual case:
 *   - a path with escapes, a method other than POST, a server that is closing;
 *   - a body without Content-Length, over FAST_BODY_LIMIT, encoded, or of another content type;
 *   - a query the quick check cannot prove valid, or text the server refuses (NUL, lone surrogate);
 *   - a key or deploy target not already verified in memory (the route's lookup warms them), any
 *     credential the one authorizer refuses, and keys with a rate limit (their budget is the
 *     route's hook's to count).
 * What it answers, it answers as the route does, from the same parts: the authorizer, the body
 * reader and validators, the text check, `runRuntime`, the error table, key usage, metrics and
 * request logs. The usual body (one selection or reward of a plain code) is recognized in its
 * bytes instead of being parsed and checked (runtime-input.ts, `oneCommandBody`): the same value.
 * fast-path.test.ts sends the same requests both ways and compares the answers; every runtime
 * test reaches it through `app.inject` (app/server.ts).
 *
 * Written for the hot path: no closure is made per request (the listeners are module functions
 * reading the request's own slot), no await is spent before the body is read, and answers are
 * written together at the end of the event loop's turn (`Outbox`).
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import proxyAddr from '@fastify/proxy-addr';
import { parse as parseQuery } from 'fast-querystring';
import type { FastifyBaseLogger, FastifyError } from 'fastify';
import { authorize } from '../../access/authorizer.js';
import type { Principal } from '../../access/principal.js';
import { countKeyUse, presentedKey } from '../../web/authenticate.js';
import { type JsonParser, type JsonParsers, readJsonBody } from '../../web/content-types.js';
import { describeFailure, errorBody } from '../../web/errors.js';
import type { LevelAware } from '../../web/log.js';
import type { Metrics } from '../../web/metrics.js';
import type { Services } from '../../web/services.js';
import { findBadText, textRefusal } from '../../web/text-input.js';
import { NO_STORE, type RuntimeOutcome, runRuntime, type WarnLog } from './agent-api.js';
import {
  oneCommandBody,
  quickBody,
  quickQuery,
  RuntimeBody,
  type RuntimeQuery,
  runtimeValidatorCompiler,
} from './runtime-input.js';

/** Bodies up to this size take the fast path; larger ones (still under the server's limit) Fastify's. */
export const FAST_BODY_LIMIT = 64 * 1024;

export interface RuntimeFastPathDeps {
  services: Pick<Services, 'runtime' | 'keyVerifier' | 'deployTargets' | 'keyUsage' | 'now'>;
  metrics: Pick<Metrics, 'countRequest'>;
  log: LevelAware;
  parsers: JsonParsers;
  trustProxy: boolean;
  requestId: () => string;
  isClosing: () => boolean;
}

type Handler = (req: IncomingMessage, res: ServerResponse) => void;

// A path segment as the route's params take it (1 to 64 characters) in letters, digits, `_` and
// `-` only: nothing the router would decode or treat apart (escapes, `;`, dot segments).
const PATH = /^\/([A-Za-z0-9_-]{1,64})\/v3\/agent-api(?:\/([A-Za-z0-9_-]{1,64}))?$/;
const ROUTE = { account: '/:acc/v3/agent-api', target: '/:acc/v3/agent-api/:dt' };
const JSON_TYPES = new Set([
  'application/json',
  'application/json; charset=utf-8',
  'application/json;charset=utf-8',
]);
const TEXT_TYPES = new Set(['text/plain', 'text/plain; charset=utf-8', 'text/plain;charset=utf-8']);
const TRUST_ALL = () => true;

const validateBody = runtimeValidatorCompiler({
  schema: RuntimeBody,
  method: 'POST',
  url: ROUTE.account,
  httpPart: 'body',
}) as (data: unknown) => { value?: unknown; error?: unknown };

/** The body as the route's validator gives it, or the error Fastify would raise for it. */
function validBody(data: unknown): { ok: true; value: RuntimeBody } | { ok: false; error: Error } {
  const quick = quickBody(data);
  if (quick !== undefined) return { ok: true, value: quick };
  const result = validateBody(data);
  if (result.error === undefined) return { ok: true, value: result.value as RuntimeBody };
  // As Fastify wraps a validator's issues: the error table reads `validation` and its context.
  const error = Object.assign(new Error('body is not valid'), {
    statusCode: 400,
    code: 'FST_ERR_VALIDATION',
    validation: result.error,
    validationContext: 'body',
  });
  return { ok: false, error };
}

/** A request the fast path answers, kept on the request while its body arrives. */
interface Taken {
  deps: RuntimeFastPathDeps;
  res: ServerResponse;
  principal: Principal & { type: 'key' };
  accountId: string;
  deployTargetId: string;
  route: string;
  query: RuntimeQuery;
  parser: JsonParser | null;
  ip: string;
  started: number;
  id: string;
  log: FastifyBaseLogger | undefined;
  parts: Buffer[];
  /** its answer is in the outbox: nothing else may be written */
  answered: boolean;
  outbox: Outbox;
}

/**
 * Answers written together, once the event loop has run every callback of its poll phase.
 * Written as each is ready, every answer to a waiting client costs the kernel a wake-up of its
 * own; written together, the first wakes the client and the rest find it awake. On the
 * repeated-session selection (bench/, two vCPU VM): 60 to 70% more requests/s at about 40%
 * less CPU per request. An answer waits at most for the callbacks already running in this turn of the
 * loop (setImmediate), and only after it is durable, as before.
 */
export class Outbox {
  private pending: { res: ServerResponse; status: number; headers: OutgoingHttpHeaders; payload: string }[] =
    [];
  private readonly flush = () => {
    const answers = this.pending;
    this.pending = [];
    for (const { res, status, headers, payload } of answers) {
      try {
        res.writeHead(status, headers);
        res.end(payload);
      } catch (error) {
        // One answer that cannot be written (its client gone) must not keep the others.
        this.log.error({ err: error }, 'runtime fast path could not write an answer');
      }
    }
  };
  constructor(private readonly log: LevelAware) {}
  send(res: ServerResponse, status: number, headers: OutgoingHttpHeaders, payload: string): void {
    if (this.pending.length === 0) setImmediate(this.flush);
    this.pending.push({ res, status, headers, payload });
  }
}

const TAKEN = Symbol('tessera.fastPath');
type Carrying = IncomingMessage & { [TAKEN]?: Taken };

export function createRuntimeFastPath(deps: RuntimeFastPathDeps, fallback: Handler): Handler {
  const { services, parsers } = deps;
  const outbox = new Outbox(deps.log);

  return (req, res) => {
    let taken: Taken | null;
    try {
      taken = take(req, res);
    } catch (error) {
      // Nothing read yet: the route answers, and its error table decides what this was.
      deps.log.error({ err: error }, 'runtime fast path could not read a request; the route answers it');
      taken = null;
    }
    if (!taken) {
      fallback(req, res);
      return;
    }
    (req as Carrying)[TAKEN] = taken;
    if (deps.log.isLevelEnabled('info'))
      logOf(taken).info({ req: { method: 'POST', url: req.url, ip: taken.ip } }, 'incoming request');
    // No 'error' or 'aborted' listener: a request whose client leaves before its body's end never
    // ends, so nothing is run, and Node emits its error only to listeners (fast-path.test.ts).
    req.on('data', onData);
    req.on('end', onEnd);
  };

  /** The request's particulars when the fast path takes it, else null (Fastify's route answers). */
  function take(req: IncomingMessage, res: ServerResponse): Taken | null {
    if (req.method !== 'POST' || deps.isClosing()) return null;
    const url = req.url ?? '';
    if (url.includes('#')) return null;
    const queryAt = url.indexOf('?');
    const match = PATH.exec(queryAt === -1 ? url : url.slice(0, queryAt));
    if (!match) return null;
    const headers = req.headers;
    if (headers['content-encoding'] !== undefined || headers['transfer-encoding'] !== undefined) return null;
    const lengthHeader = headers['content-length'];
    if (lengthHeader === undefined || !/^\d{1,6}$/.test(lengthHeader)) return null;
    const length = Number(lengthHeader);
    if (length > FAST_BODY_LIMIT) return null;
    const type = headers['content-type'];
    const lower = type?.toLowerCase();
    const parser =
      lower === undefined
        ? null
        : JSON_TYPES.has(lower)
          ? parsers.json
          : TEXT_TYPES.has(lower)
            ? parsers.text
            : null;
    // A body needs a type this path reads; an empty one is no body, but its label must be one too.
    if (parser === null && (length > 0 || type !== undefined)) return null;
    const rawQuery = parseQuery(queryAt === -1 ? '' : url.slice(queryAt + 1)) as Record<string, unknown>;
    const query = quickQuery(rawQuery);
    if (query === undefined) return null;
    const [, acc, dt] = match;
    const params = dt === undefined ? { acc } : { acc, dt };
    if (findBadText(params, 'params') !== null || findBadText(rawQuery, 'querystring') !== null) return null;
    const token = presentedKey({ headers, query: rawQuery });
    if (token === undefined) return null;

    // Only what is already verified in memory: a lookup, and every refusal, is the route's.
    const verification = services.keyVerifier.peek(token);
    if (!verification?.ok) return null;
    const { key, secretHash, secret } = verification;
    if (key.rateLimit || key.accountId !== acc) return null;
    const target = services.deployTargets.peek(acc, dt);
    if (!target) return null;
    const principal = { type: 'key' as const, key, secretHash, secret };
    if (!authorize(principal, 'runtime', { accountId: acc, deployTarget: target }).allowed) return null;
    return {
      deps,
      res,
      principal,
      accountId: acc,
      deployTargetId: target.id,
      route: dt === undefined ? ROUTE.account : ROUTE.target,
      query,
      parser,
      ip: deps.trustProxy ? proxyAddr(req, TRUST_ALL) : (req.socket.remoteAddress ?? ''),
      started: performance.now(),
      id: deps.requestId(),
      log: undefined,
      parts: [],
      answered: false,
      outbox,
    };
  }
}

const JSON_TYPE = 'application/json; charset=utf-8';

/**
 * An answer's headers. An answered selection or reward's are one literal of fixed keys: built by
 * spreading the runtime's headers into another object instead, they cost the repeated-session
 * selection 15 to 18% of its throughput (bench/, in turns), in the object and in Node's walk of it.
 */
function answerHeaders(headers: Record<string, string>, length: number): OutgoingHttpHeaders {
  if (headers === NO_STORE)
    return {
      'cache-control': 'no-store',
      'content-type': JSON_TYPE,
      'content-length': length,
      'access-control-allow-origin': '*',
    };
  return {
    ...headers,
    'content-type': JSON_TYPE,
    'content-length': length,
    'access-control-allow-origin': '*',
  };
}

/** The request's logger for the runtime's warnings, made only if one is written: most requests write none. */
class LazyLog implements WarnLog {
  constructor(private readonly taken: Taken) {}
  warn(details: object, line: string): void {
    logOf(this.taken).warn(details, line);
  }
}

function logOf(taken: Taken): FastifyBaseLogger {
  taken.log ??= taken.deps.log.child({ reqId: taken.id });
  return taken.log;
}

function onData(this: Carrying, part: Buffer): void {
  this[TAKEN]?.parts.push(part);
}

function onEnd(this: Carrying): void {
  const taken = this[TAKEN];
  if (!taken) return;
  const raw = taken.parts.length === 1 ? taken.parts[0] : Buffer.concat(taken.parts);
  taken.parts = [];
  try {
    answer(this, taken, raw);
  } catch (error) {
    failed(taken, error);
  }
}

/** `answer` renders every failure itself; this is a failure to render one. */
function failed(taken: Taken, error: unknown): void {
  taken.deps.log.error({ err: error }, 'runtime fast path failed');
  if (!taken.answered && !taken.res.headersSent) taken.res.writeHead(500).end();
}

/**
 * Reads the body and runs its commands, then answers. With `then` rather than `await`, as
 * `runRuntime` is written: one promise and one trip through the microtask queue fewer a request.
 */
function answer(req: IncomingMessage, taken: Taken, raw: Buffer): void {
  // A body the parser refused closes the connection, as the route's parser does (the client
  // may be sending more than it said).
  let close = false;
  let running: Promise<RuntimeOutcome>;
  try {
    // The usual body is recognized as it is; any other is parsed and checked as the route does.
    let body = taken.parser ? oneCommandBody(raw) : undefined;
    if (body === undefined) {
      const read = taken.parser ? readJsonBody(taken.parser, raw) : { ok: true as const, value: undefined };
      if (!read.ok) {
        close = true;
        throw read.error;
      }
      const valid = validBody(read.value);
      if (!valid.ok) throw valid.error;
      const bad = findBadText(valid.value, 'body');
      if (bad !== null) throw textRefusal(bad);
      body = valid.value;
    }
    running = runRuntime(taken.deps.services, {
      accountId: taken.accountId,
      deployTargetId: taken.deployTargetId,
      query: taken.query,
      body,
      ip: taken.ip,
      userAgent: req.headers['user-agent'],
      log: new LazyLog(taken),
    });
  } catch (error) {
    refuse(req, taken, error, close);
    return;
  }
  running
    .then(
      (outcome) => {
        let payload: string;
        try {
          payload =
            outcome.status === 200
              ? JSON.stringify(outcome.body)
              : JSON.stringify(errorBody(503, outcome.body.code, outcome.body.err));
        } catch (error) {
          refuse(req, taken, error, false);
          return;
        }
        send(req, taken, outcome.status, outcome.headers, payload);
      },
      (error: unknown) => refuse(req, taken, error, false),
    )
    .then(undefined, (error: unknown) => failed(taken, error));
}

/** As the route's error handler answers: the one table, logged as it says. */
function refuse(req: IncomingMessage, taken: Taken, error: unknown, close: boolean): void {
  const failure = describeFailure(error as FastifyError);
  if (failure.log?.level === 'error') logOf(taken).error({ err: error }, failure.log.line);
  else if (failure.log) logOf(taken).warn(failure.log.line);
  const headers: Record<string, string> =
    failure.retryAfter === undefined ? {} : { 'retry-after': String(failure.retryAfter) };
  if (close) headers.connection = 'close';
  const payload = JSON.stringify(errorBody(failure.status, failure.code, failure.err, failure.field));
  send(req, taken, failure.status, headers, payload);
}

/** Puts the answer in the outbox, then counts the key's use and the request, and logs it. */
function send(
  req: IncomingMessage,
  taken: Taken,
  status: number,
  headers: Record<string, string>,
  payload: string,
): void {
  const { deps } = taken;
  taken.answered = true;
  taken.outbox.send(taken.res, status, answerHeaders(headers, Buffer.byteLength(payload)), payload);

  countKeyUse(deps.services, {
    principal: taken.principal,
    permission: 'runtime',
    method: 'POST',
    deployTargetId: taken.deployTargetId,
    refusalCode: null,
    ip: taken.ip,
    userAgent: req.headers['user-agent'],
    status,
  });
  deps.metrics.countRequest('POST', taken.route, status, null);
  if (deps.log.isLevelEnabled('info'))
    logOf(taken).info(
      { res: { statusCode: status }, responseTime: performance.now() - taken.started },
      'request completed',
    );
}
