/**
 * JavaScript / On-Device (spec 3.2), with a JS key (`?apikey=` as script tags send it):
 *   GET  /{acc}/v3/agent-api/js/{dt}         the script tag: client + the target's deployed configuration
 *   GET  /{acc}/v3/agent-api/js/f-{id}/{dt}  the same, as Conductrics tags are pasted (f- ignored)
 *   GET  /{acc}/v3/agent-api/bundle/{dt}     the same configuration as JSON, for native apps
 *   POST /{acc}/v3/agent-api/js/{dt}/events  selections and rewards decided on the device
 *
 * The script and the bundle are public by nature (the key in their URL is published in pages):
 * they answer any origin, with a strong ETag, `Cache-Control: public, max-age=N`
 * (TESSERA_SCRIPT_MAX_AGE) and gzip or brotli, so a CDN can serve them. A refused key answers
 * short plain text with `Cache-Control: no-store`, so a CDN never keeps a refusal: a deleted,
 * unknown, mistyped or expired key is 404 ("Not Found", as a CDN would say it), a key of the wrong
 * kind, account or deploy target 403.
 *
 * Browser events answer CORS for the key's allowed origins (any origin when it has none; a request
 * without `Origin` is no browser's and is not restricted) and refuse other origins with 403
 * `origin_not_allowed`, preflight included. Every answer but a preflight's is readable by the page
 * (`Access-Control-Allow-Origin`), refusals too, so the client tells a refusal from a network failure. They are JSON sent as `text/plain` (a beacon's type,
 * which needs no preflight) or `application/json`.
 *
 * Over 400 lines on purpose: the three browser endpoints share one key rule, one cache of built
 * scripts and one CORS answer; split, each would repeat them.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { LRUCache } from 'lru-cache';
import { z } from 'zod';
import { RewardValue } from '../../agents/goals.js';
import { RULE_OPS, type Snapshot, VISITOR_FACTS } from '../../agents/snapshot.js';
import { originAllowed } from '../../keys/origins.js';
import { MAX_SESSION_LENGTH, StoreUnavailableError } from '../../runtime/runtime-service.js';
import {
  DEVICE_FORMAT,
  type DeviceAgent as DeviceAgentData,
  type DeviceEvent,
  eventsPath,
  toDeviceSnapshot,
} from '../../script/device-config.js';
import type { DeviceEventOutcome } from '../../script/device-events.js';
import { buildScript } from '../../script/script-builder.js';
import { presentedKey, type Refusal } from '../../web/authenticate.js';
import { parseTextPlainAsJson } from '../../web/content-types.js';
import { answerPreflight } from '../../web/cors.js';
import { sendError } from '../../web/errors.js';
import { Representation, sendRepresentation } from '../../web/representation.js';
import { AccountParams, Answer, ok, type SameFields } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';

const TargetParams = AccountParams.extend({ dt: z.string().min(1).max(64) });
const KeyQuery = z.object({ apikey: z.string().optional() });

const Code = z.string().min(1, 'must not be empty').max(256, 'must be at most 256 characters');
const EventsBody = z.object({
  session: z
    .string()
    .min(1, 'must not be empty')
    .max(MAX_SESSION_LENGTH, `must be at most ${MAX_SESSION_LENGTH} characters`),
  events: z
    .array(
      z.object({
        a: Code.describe('agent'),
        c: Code.describe('variation'),
        g: Code.optional().describe('goal: present for a reward'),
        v: RewardValue.optional().describe("reward value; default the goal's"),
      }),
    )
    .max(1000, 'at most 1000 events per request'),
});

const DeviceMatch = z.enum(['all', 'any']);
// The rule form first, as in the agent record: `{trait}` first would describe a rule as stripped.
const DeviceClause = z.union([
  z.object({
    input: z.string().optional(),
    trait: z.string().optional(),
    visitor: z.enum(VISITOR_FACTS).optional(),
    op: z.enum(RULE_OPS),
    value: z.string().optional(),
    values: z.array(z.string()).optional(),
  }),
  z.object({ input: z.string(), is: z.string() }),
  z.object({ trait: z.string() }),
]);

const DeviceAgent = z.object({
  code: z.string(),
  status: z.enum(['running', 'paused']),
  pausedAt: z.string().nullable(),
  metaKeys: z.array(z.string()),
  variations: z.array(
    z.object({ code: z.string(), weight: z.number(), meta: z.record(z.string(), z.string()) }),
  ),
  conditions: z.array(
    z.object({
      when: z.array(DeviceClause),
      match: DeviceMatch.optional(),
      // biome-ignore lint/suspicious/noThenProperty: the spec names the field; a string is never a thenable
      then: z.string(),
    }),
  ),
  goals: z.array(z.string()).nullable(),
  // aiming (docs/targeting.md)
  eligibility: z.object({ match: DeviceMatch, rules: z.array(DeviceClause) }).optional(),
  exclusion: z.object({ group: z.string(), weight: z.number() }).optional(),
  qaOnly: z.literal(true).optional().describe('answers QA sessions only: a device never has one'),
  allocation: z.literal('adaptive').optional().describe('present: weights learned from results (policy a)'),
  adaptiveWeights: z
    .record(z.string(), z.number())
    .optional()
    .describe('adaptive allocation: the learned weight of each variation, used instead of `weight`'),
});

/** The bundle, as documented; it is sent as prepared bytes (cached per deployment), never serialized. */
const Bundle = Answer(
  z.object({
    format: z.literal(DEVICE_FORMAT),
    account: z.string(),
    deployTarget: z.string(),
    version: z.number().describe('the configuration version deployed (0: nothing deployed yet)'),
    eventsPath: z.string().describe('where the device sends its events'),
    agents: z.record(z.string(), DeviceAgent).describe('running and paused agents, by code'),
    goals: z.record(z.string(), z.object({ code: z.string(), value: z.number() })),
    traits: z
      .array(
        z.object({
          group: z.string(),
          rules: z.array(
            z.object({ value: z.string(), when: z.array(DeviceClause), match: DeviceMatch.optional() }),
          ),
        }),
      )
      .optional()
      .describe("the account's custom visitor traits (absent: none)"),
  }),
);

const EventsOutcome = z.object({
  accepted: z.number().describe('events recorded (replays included)'),
  ignored: z.number().describe('events that do not match the deployed configuration'),
});

true satisfies SameFields<z.input<typeof DeviceAgent>, DeviceAgentData>;
true satisfies SameFields<z.input<typeof EventsOutcome>, DeviceEventOutcome>;

/** Refusals meaning "this key does not exist (any more)": the CDN's "Not Found". */
const KEY_GONE = new Set([
  'key_unknown',
  'key_deleted',
  'key_malformed',
  'key_expired',
  'deploy_target_not_found',
]);

function plainText(reply: FastifyReply, status: number, text: string): FastifyReply {
  return (
    reply
      .code(status)
      .header('cache-control', 'no-store')
      // readable by any page, as the script itself is: a refusal is then told from a network failure
      .header('access-control-allow-origin', '*')
      .header('x-content-type-options', 'nosniff')
      .type('text/plain; charset=utf-8')
      .send(`${text}\n`)
  );
}

/** The script tag and the bundle answer refusals as short plain text, never cached. */
function plainTextRefusal(_request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply {
  if (KEY_GONE.has(refusal.code)) return plainText(reply, 404, `Not Found: ${refusal.message}`);
  if (refusal.status === 429) return plainText(reply, 429, `Too Many Requests: ${refusal.message}`);
  return plainText(reply, refusal.status, `Not Authorized: ${refusal.message}`);
}

interface Cached {
  snapshot: Snapshot | null;
  representation: Representation;
}

export interface ScriptOptions {
  /** seconds browsers and CDNs may keep the script and the bundle (TESSERA_SCRIPT_MAX_AGE) */
  maxAge: number;
  /** where the script sends events (TESSERA_PUBLIC_URL); absent: the origin it was loaded from */
  publicUrl?: string;
}

export function registerScriptRoutes(
  root: FastifyInstance,
  services: Pick<Services, 'snapshots' | 'deviceEvents'>,
  options: ScriptOptions,
): void {
  const { maxAge } = options;
  const publicUrl = options.publicUrl ? options.publicUrl.replace(/\/+$/, '') : null;
  // Per target and key (the script embeds the key it was loaded with); rebuilt when the target's
  // snapshot object changes, i.e. at each deployment.
  const cache = new LRUCache<string, Cached>({
    max: 5_000,
    maxSize: 64 * 1024 * 1024,
    sizeCalculation: (entry) => entry.representation.body.length * 3,
  });

  async function cached(key: string, snapshot: Snapshot | null, make: () => Promise<Representation>) {
    const hit = cache.get(key);
    if (hit && hit.snapshot === snapshot) return hit.representation;
    const representation = await make();
    cache.set(key, { snapshot, representation });
    return representation;
  }

  /** The target's deployed snapshot, or a plain-text 503 already sent when the store cannot tell. */
  async function deployed(request: FastifyRequest, reply: FastifyReply) {
    const target = request.deployTarget;
    if (!target) throw new Error('script route reached without a deploy target');
    try {
      return { target, snapshot: await services.snapshots.get(target.accountId, target.id) };
    } catch (error) {
      request.log.warn({ err: error }, 'script or bundle not served: store unavailable');
      reply.header('retry-after', '1');
      plainText(reply, 503, 'Service Unavailable: retry shortly');
      return null;
    }
  }

  // The script and the bundle: public, cacheable, plain-text errors.
  root.register(async (scope) => {
    scope.setErrorHandler((error, request, reply) => {
      const status = (error as { statusCode?: number }).statusCode ?? 500;
      if (status >= 500) throw error; // the server's own handler logs it and answers 500
      const problem = error instanceof Error ? error.message : 'bad request';
      request.log.debug({ err: error }, 'script request refused');
      return plainText(reply, status, `Bad Request: ${problem}`);
    });
    const app = scope.withTypeProvider<ZodTypeProvider>();
    const config = { permission: 'script', onRefusal: plainTextRefusal } as const;
    // Both answers are prepared bytes (cached per deployment): described here, never serialized.
    const schema = (description: string, contentType: string, answer: z.ZodType) => ({
      tags: ['script tag and on-device'],
      description,
      params: TargetParams,
      querystring: KeyQuery,
      response: { 200: { description: 'OK', content: { [contentType]: { schema: answer } } } },
    });

    async function serveScript(request: FastifyRequest, reply: FastifyReply) {
      const found = await deployed(request, reply);
      if (!found) return reply;
      const { target, snapshot } = found;
      const key = presentedKey(request) ?? '';
      // The target's settings are in the script too: a change of them is another script.
      const { honourPrivacySignals: privacy, visitorStorage, cookieDomain } = target;
      const settings = `${privacy} ${visitorStorage} ${cookieDomain ?? ''}`;
      const representation = await cached(`js ${target.id} ${settings} ${key}`, snapshot, async () => {
        const text = await buildScript({
          account: target.accountId,
          target: target.id,
          key,
          origin: publicUrl,
          snapshot: toDeviceSnapshot(snapshot),
          honourPrivacySignals: privacy,
          ...(visitorStorage === 'cookie' ? { visitorStorage, cookieDomain } : {}),
        });
        return new Representation(text, 'application/javascript; charset=utf-8');
      });
      return sendRepresentation(request, reply, representation, maxAge);
    }

    const scriptDescription =
      "The script tag: `window.Tessera.ClientApi` (also added to `window.Conductrics`) deciding locally on the deploy target's deployed configuration, as application/javascript.";
    app.get(
      '/:acc/v3/agent-api/js/:dt',
      { config, schema: schema(scriptDescription, 'application/javascript', z.string()) },
      serveScript,
    );
    // Conductrics tags are pasted as `/js/f-{file}/{dt}`: the file segment names a build of the
    // tag on their side; here the script is always the target's current one, so it is ignored.
    app.get(
      '/:acc/v3/agent-api/js/:file/:dt',
      {
        config,
        schema: {
          ...schema(
            `${scriptDescription} The same script as \`/js/{dt}\`, at the path Conductrics tags are pasted with; the \`f-…\` segment is accepted and ignored.`,
            'application/javascript',
            z.string(),
          ),
          params: TargetParams.extend({
            file: z.string().regex(/^f-[A-Za-z0-9_-]{1,64}$/, 'must be f- followed by letters or digits'),
          }),
        },
      },
      serveScript,
    );

    app.get(
      '/:acc/v3/agent-api/bundle/:dt',
      {
        config,
        schema: schema(
          "The deploy target's deployed configuration as JSON, for native apps that decide on the device (schema in the README).",
          'application/json',
          Bundle,
        ),
      },
      async (request, reply) => {
        const found = await deployed(request, reply);
        if (!found) return reply;
        const { target, snapshot } = found;
        const representation = await cached(`bundle ${target.id}`, snapshot, async () => {
          const device = toDeviceSnapshot(snapshot);
          const data = {
            format: DEVICE_FORMAT,
            account: target.accountId,
            deployTarget: target.id,
            version: device.version,
            eventsPath: eventsPath(target.accountId, target.id),
            agents: device.agents,
            goals: device.goals,
            ...(device.traits ? { traits: device.traits } : {}),
          };
          return new Representation(JSON.stringify({ status: 200, data }), 'application/json; charset=utf-8');
        });
        return sendRepresentation(request, reply, representation, maxAge);
      },
    );
  });

  // Browser and native events: JSON answers, CORS for the key's allowed origins.
  root.register(async (scope) => {
    parseTextPlainAsJson(scope);

    // Every answer to a page is readable by it, refusals included (a deleted key, an origin the key
    // does not allow, bad input): the client drops events that were refused and retries only those
    // that failed to arrive, which a page cannot tell apart without this. It grants nothing: the
    // events were refused, and a refused preflight stays unreadable, so no other request follows.
    scope.addHook('onSend', async (request, reply, payload) => {
      if (
        request.method !== 'OPTIONS' &&
        request.headers.origin !== undefined &&
        !reply.hasHeader('access-control-allow-origin')
      ) {
        reply.header('access-control-allow-origin', '*');
      }
      return payload;
    });

    /** After authentication: refuses origins the key does not allow, and answers CORS for the others. */
    const cors: onRequestAsyncHookHandler = async (request, reply) => {
      const { principal } = request;
      if (principal.type !== 'key') return;
      const origin = request.headers.origin;
      const allowed = principal.key.allowedOrigins;
      reply.header('cache-control', 'no-store');
      if (!originAllowed(allowed, origin)) {
        request.refusalCode = 'origin_not_allowed';
        return sendError(
          reply,
          403,
          'origin_not_allowed',
          `This API key does not allow events from ${origin}; add it to the key's allowed origins`,
        );
      }
      if (origin !== undefined) {
        reply.header('access-control-allow-origin', allowed.length === 0 ? '*' : origin);
        if (allowed.length > 0) reply.header('vary', 'Origin');
      }
    };

    const app = scope.withTypeProvider<ZodTypeProvider>();
    const config = { permission: 'script' } as const;
    const tags = ['script tag and on-device'];

    app.route({
      method: 'OPTIONS',
      url: '/:acc/v3/agent-api/js/:dt/events',
      config,
      onRequest: cors,
      schema: {
        tags,
        description:
          "CORS preflight of browser events: allowed for the key's allowed origins (any when it has none).",
        params: TargetParams,
        querystring: KeyQuery,
        response: { 204: z.null().describe('No Content') },
      },
      handler: async (_request, reply) => answerPreflight(reply),
    });

    app.post(
      '/:acc/v3/agent-api/js/:dt/events',
      {
        config,
        onRequest: cors,
        schema: {
          tags,
          description: `Records selections \`{"a","c"}\` and rewards \`{"g","a","c","v"?}\` a device decided for one session:
\`{"session": "…", "events": [...]}\`, as application/json or text/plain. Answers \`{"status":200,"data":{"accepted","ignored"}}\`
once the accepted ones are durably recorded (503 with Retry-After otherwise). Events that do not match the
target's deployed configuration (an agent not running there, an unknown variation or goal) are ignored;
replays count nothing twice.`,
          params: TargetParams,
          querystring: KeyQuery,
          body: EventsBody,
          response: { 200: Answer(EventsOutcome) },
        },
      },
      async (request, reply) => {
        const target = request.deployTarget;
        if (!target) throw new Error('events route reached without a deploy target');
        try {
          const outcome = await services.deviceEvents.record({
            accountId: target.accountId,
            deployTargetId: target.id,
            session: request.body.session,
            events: request.body.events as DeviceEvent[],
          });
          return ok(outcome);
        } catch (error) {
          if (!(error instanceof StoreUnavailableError)) throw error;
          request.log.warn({ err: error.cause }, 'device events not recorded: store unavailable');
          reply.header('retry-after', '1');
          return sendError(reply, 503, 'store_unavailable', error.message);
        }
      },
    );
  });
}
