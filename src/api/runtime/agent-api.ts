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
    /** The session asked for, its placeholders (`{ip}_{1h}`) computed. */
    const sessionOf = (request: FastifyRequest, query: RuntimeQuery): string | undefined => {
      if (query.session === undefined || query.session === '') return undefined;
      const computed = computeSession(query.session, {
        // request.ip is X-Forwarded-For's only when TESSERA_TRUST_PROXY says the proxy is trusted
        ip: request.ip,
        ua: query.ua ?? request.headers['user-agent'] ?? '',
        now: Date.now(),
      });
      if (computed.ok) return computed.session;
      throw new InvalidInputError(
        'querystring.session',
        `unknown placeholder ${computed.unknown} (known: {ip}, {ua}, and periods such as {30m}, {1h}, {1d})`,
      );
    };

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
      const session = sessionOf(request, query);
      try {
        const answer = await services.runtime.execute({
          accountId,
          deployTargetId: target.id,
          session,
          commands: body.commands as Command[],
          inputs: stringInputs(body.inputs),
          queryTraits: query.traits ? query.traits.split(',') : [],
          userAgent: query.ua,
          debug: query.debug === 'true',
        });
        reply.header('cache-control', 'no-store');
        return ok(answer);
      } catch (error) {
        if (!(error instanceof StoreUnavailableError)) throw error;
        request.log.warn({ err: error.cause }, 'runtime request not recorded: store unavailable');
        reply.header('retry-after', '1');
        reply.header('cache-control', 'no-store');
        return sendError(reply, 503, 'store_unavailable', error.message);
      }
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
