/**
 * The runtime API (spec 3.1), wire-compatible with Conductrics v3 agent-api clients:
 * `POST /{acc}/v3/agent-api` (the account's default REST target) and `POST /{acc}/v3/agent-api/{dt}`,
 * with a REST API key (`?apikey=` as existing clients send it, or `Authorization: Bearer`).
 *
 * Decisions where clients leave room:
 * - the body may be `{"commands": [...], "inputs": {...}}` or a bare array of commands, sent as
 *   `application/json` or as `text/plain` (browsers do that to skip the CORS preflight; the
 *   answer carries `Access-Control-Allow-Origin: *` so such a page can read it). A request with no
 *   body runs no command (traits in the query still apply). Errors name the field as if the
 *   object form had been sent (`body.commands.0.a`);
 * - `session=` (empty) is treated as absent: the server makes one and answers it;
 * - a session with placeholders (`{ip}_{1h}`: src/runtime/session-placeholders.ts) is computed,
 *   hashed, and the computed id answered in `data.session`; an unknown placeholder is 400. `{ua}`
 *   is the `ua` parameter, else the request's User-Agent (for a session, the caller's own agent
 *   is the best there is);
 * - the request's own User-Agent header is never used: it is usually the calling server's HTTP
 *   library, not the visitor's browser. Only the `ua` query parameter derives `ua/` traits;
 * - input values may be strings, numbers or booleans (compared by their string form);
 * - answers are `Cache-Control: no-store`: they belong to one session;
 * - every answer (refusals too) carries `Access-Control-Allow-Origin: *`, and the CORS preflight
 *   (`OPTIONS`) is answered, so a page may also send `application/json` or `Authorization`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { InvalidInputError } from '../../kernel/errors.js';
import type { Command } from '../../runtime/engine.js';
import {
  type RuntimeAnswer as RuntimeAnswerData,
  StoreUnavailableError,
} from '../../runtime/runtime-service.js';
import { computeSession } from '../../runtime/session-placeholders.js';
import { parseTextPlainAsJson } from '../../web/content-types.js';
import { answerPreflight } from '../../web/cors.js';
import { sendError } from '../../web/errors.js';
import { AccountParams, Answer, ok, type SameFields } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';
import { RuntimeBody, RuntimeQuery, runtimeValidatorCompiler, TargetParams } from './runtime-input.js';

function stringInputs(inputs: RuntimeBody['inputs']): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of Object.keys(inputs)) out[name] = String(inputs[name]);
  return out;
}

const SelectionItem = z.object({
  a: z.string().describe('agent'),
  c: z.string().describe('variation'),
  p: z.enum(['r', 'a', 's', 'f', 'p', 'x']).describe('policy'),
  s: z.enum(['ok', 'p']).describe('ok: confirmed, p: provisional'),
  md: z
    .record(z.string(), z.string())
    .describe('every metadata key of the agent; "" where the variation has none'),
});
const RewardItem = z.object({
  g: z.string().describe('goal'),
  rs: z.array(z.object({ a: z.string(), v: z.number() })).describe('the value accepted per agent credited'),
});
const RuntimeAnswer = Answer(
  z.object({
    session: z.string(),
    items: z.array(z.union([SelectionItem, RewardItem])),
    sels: z.record(z.string(), z.string()).describe('agent → variation'),
    traits: z.array(z.string()),
    log: z.array(z.string()).optional().describe('with debug=true: why each decision was made'),
  }),
);

true satisfies SameFields<z.input<typeof RuntimeAnswer>['data'], RuntimeAnswerData>;

const DESCRIPTION = `Runs selection and reward commands for one session and answers
\`{"status":200,"data":{"session","items","sels","traits","log"?}}\`:
\`items\` holds \`{"a","c","p","s","md"}\` per answered selection (policy p: r random, s sticky, f fixed,
p paused, x none; status s: ok or p provisional; md: every metadata key of the agent) and
\`{"g","rs":[{"a","v"}]}\` per reward; \`sels\` maps agent to variation; \`traits\` lists the session's
traits (\`cust/…\` from the query, \`ua/…\` from \`ua\`); \`log\` (with debug=true) says why.
An unknown, stopped or archived agent answers no item. Every counted selection and accepted reward
is durably recorded before the answer; if the store cannot record it the answer is 503 with
Retry-After, never a 200.`;

/** One runtime request as both ways in (the Fastify route and the fast path) hand it over. */
export interface RuntimeCall {
  accountId: string;
  deployTargetId: string;
  query: RuntimeQuery;
  body: RuntimeBody;
  /** the caller's address (X-Forwarded-For's only when the proxy is trusted) */
  ip: string;
  /** the request's User-Agent header, used only for a `{ua}` placeholder without `ua=` */
  userAgent: string | undefined;
  log: WarnLog;
}

/** Where a runtime request's warning goes (the request's logger, or one made only when used). */
export interface WarnLog {
  warn(details: object, line: string): void;
}

/** What a runtime request is answered: the commands' answer, or 503 when the store could not record it. */
export type RuntimeOutcome = { headers: Record<string, string> } & (
  | { status: 200; body: ReturnType<typeof ok<RuntimeAnswerData>> }
  | { status: 503; body: { code: 'store_unavailable'; err: string } }
);

/** The session asked for, its placeholders (`{ip}_{1h}`) computed. */
function sessionOf(call: RuntimeCall): string | undefined {
  const { query } = call;
  if (query.session === undefined || query.session === '') return undefined;
  const computed = computeSession(query.session, {
    ip: call.ip,
    ua: query.ua ?? call.userAgent ?? '',
    now: Date.now(),
  });
  if (computed.ok) return computed.session;
  throw new InvalidInputError(
    'querystring.session',
    `unknown placeholder ${computed.unknown} (known: {ip}, {ua}, and periods such as {30m}, {1h}, {1d})`,
  );
}

/** A selection's or reward's answer headers (the fast path knows them by identity). */
export const NO_STORE = { 'cache-control': 'no-store' };
const RETRY_NO_STORE = { 'retry-after': '1', 'cache-control': 'no-store' };

/**
 * Runs a validated runtime request. Refusals of its input (an unknown session placeholder) and
 * the unexpected are rejected, for the caller's error table. Not an async function: on the
 * runtime's hottest path, each suspension is a promise and a trip through the microtask queue.
 */
export function runRuntime(services: Pick<Services, 'runtime'>, call: RuntimeCall): Promise<RuntimeOutcome> {
  const { query, body } = call;
  let answered: Promise<RuntimeAnswerData>;
  try {
    answered = services.runtime.execute({
      accountId: call.accountId,
      deployTargetId: call.deployTargetId,
      session: sessionOf(call),
      commands: body.commands as Command[],
      inputs: stringInputs(body.inputs),
      queryTraits: query.traits ? query.traits.split(',') : [],
      userAgent: query.ua,
      debug: query.debug === 'true',
    });
  } catch (error) {
    answered = Promise.reject(error);
  }
  return answered.then(
    (answer): RuntimeOutcome => ({ status: 200, headers: NO_STORE, body: ok(answer) }),
    (error: unknown): RuntimeOutcome => {
      // A refused session placeholder, like anything unexpected, is the caller's to answer.
      if (!(error instanceof StoreUnavailableError)) throw error;
      call.log.warn({ err: error.cause }, 'runtime request not recorded: store unavailable');
      return {
        status: 503,
        headers: RETRY_NO_STORE,
        body: { code: 'store_unavailable', err: error.message },
      };
    },
  );
}

export function registerAgentApiRoutes(
  root: FastifyInstance,
  services: Pick<Services, 'runtime' | 'events'>,
): void {
  root.register(async (scope) => {
    parseTextPlainAsJson(scope);
    scope.addHook('onReady', async () => {
      services.events.start();
    });
    scope.addHook('onClose', async () => {
      await services.events.flush();
    });
    // Any page may call the runtime API with its key (answers belong to the session, not to a
    // cookie), so every answer, refusals included, is readable cross-origin.
    scope.addHook('onSend', (_request, reply, payload, done) => {
      reply.header('access-control-allow-origin', '*');
      done(null, payload);
    });

    const app = scope.withTypeProvider<ZodTypeProvider>();
    const schema = (params: typeof AccountParams | typeof TargetParams) => ({
      tags: ['runtime'],
      description: DESCRIPTION,
      params,
      querystring: RuntimeQuery,
      body: RuntimeBody,
      response: { 200: RuntimeAnswer },
    });
    // The hot path: parsing each answer with its schema cost about 13% of the runtime's throughput
    // (20,000 selections timed), so the schema documents the answer and it is sent as built, as
    // routes without a response schema are.
    const route = {
      config: { permission: 'runtime' as const },
      serializerCompiler: () => (data: unknown) => JSON.stringify(data),
      validatorCompiler: runtimeValidatorCompiler,
    };

    const handle = async (
      request: FastifyRequest,
      reply: FastifyReply,
      accountId: string,
      query: RuntimeQuery,
      body: RuntimeBody,
    ) => {
      const target = request.deployTarget;
      if (!target) throw new Error('runtime route reached without a deploy target');
      const outcome = await runRuntime(services, {
        accountId,
        deployTargetId: target.id,
        query,
        body,
        ip: request.ip,
        userAgent: request.headers['user-agent'],
        log: request.log,
      });
      reply.headers(outcome.headers);
      if (outcome.status === 200) return outcome.body;
      return sendError(reply, outcome.status, outcome.body.code, outcome.body.err);
    };

    app.post('/:acc/v3/agent-api', { ...route, schema: schema(AccountParams) }, (request, reply) =>
      handle(request, reply, request.params.acc, request.query, request.body),
    );
    app.post('/:acc/v3/agent-api/:dt', { ...route, schema: schema(TargetParams) }, (request, reply) =>
      handle(request, reply, request.params.acc, request.query, request.body),
    );

    // The CORS preflight a browser sends before a POST with application/json or an
    // Authorization header. It carries no credential; the POST that follows is checked as usual.
    const publicRoute = {
      config: { permission: 'public' as const },
      schema: { hide: true, response: { 204: z.null().describe('No Content') } },
    };
    app.options('/:acc/v3/agent-api', publicRoute, async (_request, reply) => answerPreflight(reply));
    app.options('/:acc/v3/agent-api/:dt', publicRoute, async (_request, reply) => answerPreflight(reply));
  });
}
