/**
 * Server assembly: plugins, error mapping, authentication, and each area's routes. Areas register
 * what they own; every route declares its permission (enforced in authenticate.ts).
 */

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import cookie from '@fastify/cookie';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import Fastify, { type FastifyInstance, type RouteOptions } from 'fastify';
import { jsonSchemaTransform, serializerCompiler, validatorCompiler } from 'fastify-type-provider-zod';
import lightMyRequest from 'light-my-request';
import { registerApi } from '../api/register.js';
import { createRuntimeFastPath } from '../api/runtime/fast-path.js';
import { renderConsoleFrameworkFailure } from '../console/errors.js';
import { CONSOLE } from '../console/kit/html.js';
import { registerConsole } from '../console/register.js';
import { registerAuthentication } from '../web/authenticate.js';
import { jsonParsers, parseJsonBodies } from '../web/content-types.js';
import { frameworkErrorHandler, handleClientError, registerErrorHandling } from '../web/errors.js';
import { createRequestIds, type LevelAware, lazyRequestLogger, loggerOptions } from '../web/log.js';
import { registerMetrics } from '../web/metrics.js';
import { refuseMalformedText } from '../web/text-input.js';
import { type Config, loadConfig } from './config.js';
import type { Services } from './services.js';

export interface ServerOptions {
  logLevel?: string;
  /** extra route registrations (tests use it to add probe routes) */
  extend?: (app: FastifyInstance) => void;
  /** sees every route as it is registered (tests walk all of them) */
  onRoute?: (route: RouteOptions) => void;
  /** where log lines go instead of stdout (tests capture them) */
  logStream?: NodeJS.WritableStream;
  /** the configuration (default: read from the environment, as `serve` does) */
  config?: Config;
  /** how long a client may take (ms); the defaults suit clients behind a load balancer */
  timeouts?: Partial<ClientTimeouts>;
  /**
   * false: every runtime request goes through Fastify's route (the fast path's agreement test
   * compares the two; the bench measures what the fast path saves). Default true.
   */
  runtimeFastPath?: boolean;
}

export interface ClientTimeouts {
  /** to send a request's headers (a slowloris client trickling them is cut off after this) */
  headersMs: number;
  /** to send a whole request, body included */
  requestMs: number;
  /** of silence on a connection before it is closed (a stopped client) */
  idleMs: number;
  /** how often the headers and request deadlines are checked */
  checkEveryMs: number;
}

export const DEFAULT_CLIENT_TIMEOUTS: ClientTimeouts = {
  headersMs: 10_000,
  requestMs: 30_000,
  idleMs: 60_000,
  checkEveryMs: 1_000,
};

// Swagger UI sets inline style attributes: 'unsafe-inline' for styles only, never scripts.
const DOCS_HEADERS = {
  'content-security-policy':
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
    "font-src 'self' data:; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'",
  'x-frame-options': 'DENY',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
};

/** The largest request body accepted (413 beyond it); runtime and admin bodies are far smaller. */
export const BODY_LIMIT_BYTES = 1024 * 1024;

export async function buildServer(services: Services, options: ServerOptions = {}): Promise<FastifyInstance> {
  const timeouts = { ...DEFAULT_CLIENT_TIMEOUTS, ...options.timeouts };
  const config = options.config ?? loadConfig();
  const trustProxy = config.TESSERA_TRUST_PROXY === 'true';
  const requestId = createRequestIds();
  // Every request enters here: the runtime's fast path once the server is assembled (below),
  // Fastify's routing until then and for whatever the fast path hands on.
  type Dispatch = (req: IncomingMessage, res: ServerResponse) => void;
  let fastify: Dispatch | undefined;
  let dispatch: Dispatch = (req, res) => fastify?.(req, res);
  let closing = false;
  const app = Fastify({
    serverFactory: (handler) => {
      fastify = handler;
      const server = createServer(
        { headersTimeout: timeouts.headersMs, connectionsCheckingInterval: timeouts.checkEveryMs },
        (req, res) => dispatch(req, res),
      );
      // What Fastify sets on a server it makes itself.
      server.requestTimeout = timeouts.requestMs;
      server.setTimeout(timeouts.idleMs);
      server.keepAliveTimeout = 72_000;
      return server;
    },
    genReqId: requestId,
    logger: loggerOptions(options.logLevel ?? 'info', options.logStream),
    childLoggerFactory: lazyRequestLogger,
    // A slow or stalled client cannot hold a connection (or its memory) for long: headers, then
    // the whole request, must arrive in time, a silent connection is closed, and a body larger
    // than the limit is refused with 413 as soon as its length is known.
    requestTimeout: timeouts.requestMs,
    connectionTimeout: timeouts.idleMs,
    bodyLimit: BODY_LIMIT_BYTES,
    // Path parameters up to this length reach the route, whose schema names what is wrong with
    // them (a 101-character agent code is a 400 on params.a); the router's default of 100 answered
    // longer ones with a bare 414.
    routerOptions: { maxParamLength: 1000 },
    return503OnClosing: true,
    trustProxy,
    // A URL that cannot be decoded is bad input too, and answers in the same shape.
    frameworkErrors: frameworkErrorHandler([{ prefix: CONSOLE, render: renderConsoleFrameworkFailure }]),
    clientErrorHandler: handleClientError,
  });
  if (options.onRoute) app.addHook('onRoute', options.onRoute);
  app.setValidatorCompiler(validatorCompiler);
  app.setSerializerCompiler(serializerCompiler);
  registerErrorHandling(app);
  parseJsonBodies(app);
  // Before authentication, which reads the store with what the path names.
  refuseMalformedText(app);

  await app.register(cookie);
  await app.register(swagger, {
    openapi: {
      info: {
        title: 'Tessera',
        description: 'Runtime, Admin and key-management API of Tessera',
        version: '0.1.0',
      },
      components: {
        securitySchemes: {
          apiKey: {
            type: 'http',
            scheme: 'bearer',
            description: 'A Tessera API key (also accepted as ?apikey=)',
          },
          session: { type: 'apiKey', in: 'cookie', name: 'tessera_session' },
        },
      },
    },
    transform: jsonSchemaTransform,
  });
  registerAuthentication(app, services);
  // The page loads only its own scripts and styles, fetches only this server's OpenAPI document
  // (and "try it out" requests), and may not be framed (clickjacking a signed-in person's
  // "Execute"). In a scope of its own, so the headers reach its static assets too.
  await app.register(async (docs) => {
    docs.addHook('onRequest', (_request, reply, done) => {
      reply.headers(DOCS_HEADERS);
      done();
    });
    await docs.register(swaggerUi, {
      routePrefix: '/docs',
      // No third-party validator badge: it would send the document's address elsewhere.
      uiConfig: { validatorUrl: null },
    });
  });

  const metrics = registerMetrics(app, services);
  app.get('/openapi.json', { config: { permission: 'public' }, schema: { hide: true } }, async () =>
    app.swagger(),
  );
  registerApi(app, services, metrics, {
    script: { maxAge: config.TESSERA_SCRIPT_MAX_AGE, publicUrl: config.TESSERA_PUBLIC_URL },
  });
  await registerConsole(app, services, { publicUrl: config.TESSERA_PUBLIC_URL });
  options.extend?.(app);
  scheduleAdaptiveAllocation(app, services, config.TESSERA_ADAPTIVE_INTERVAL * 1000);
  app.addHook('preClose', async () => {
    closing = true;
  });
  await app.ready();

  const routing = fastify;
  if (!routing) throw new Error('Fastify made no request handler');
  dispatch =
    options.runtimeFastPath === false
      ? routing
      : createRuntimeFastPath(
          {
            services,
            metrics,
            log: app.log as LevelAware,
            parsers: jsonParsers(app),
            trustProxy,
            requestId,
            isClosing: () => closing,
          },
          routing,
        );
  // Requests injected (tests, `app.inject`) take the same way in as those on the socket.
  const injectThroughFastify = app.inject.bind(app);
  app.inject = ((injected?: Parameters<typeof lightMyRequest>[1], callback?: never) =>
    injected === undefined || closing
      ? injectThroughFastify(injected as never, callback as never)
      : lightMyRequest(dispatch, injected, callback as never)) as FastifyInstance['inject'];
  return app;
}

/**
 * Recomputes adaptive agents' weights every interval. Each server runs it; the allocator skips an
 * agent published less than half an interval ago, so servers sharing a database do not multiply
 * versions. The timer never keeps the process alive and stops with the server.
 */
function scheduleAdaptiveAllocation(app: FastifyInstance, services: Services, intervalMs: number): void {
  if (intervalMs <= 0) return;
  const timer = setInterval(() => {
    services.adaptive.rebalanceAll().catch((error: unknown) => {
      app.log.error({ err: error }, 'adaptive allocation: recomputing weights failed');
    });
  }, intervalMs);
  timer.unref();
  app.addHook('onClose', async () => clearInterval(timer));
}
