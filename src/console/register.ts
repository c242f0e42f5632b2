/**
 * The console: server-rendered pages under /console, in their own Fastify scope so that form
 * bodies, HTML errors and the page security headers apply to them only (the JSON API is left as
 * it is). Every console route declares its permission and goes through the same authorizer; a
 * refusal answers in HTML (sign-in redirect or error page) through the route's `onRefusal`.
 */
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import type { Services } from '../web/services.js';
import { registerAgentPages } from './agents/routes.js';
import { registerAssets } from './assets.js';
import { registerAuditPages } from './audit/routes.js';
import { registerAuthPages } from './auth/routes.js';
import { consoleErrorHandler, consoleRefusal, sendConsoleError } from './errors.js';
import { registerGoalPages } from './goals/routes.js';
import { registerKeyPages } from './keys/routes.js';
import { accountContext, type ContextServices } from './kit/context.js';
import { CONSOLE, SECURITY_HEADERS } from './kit/html.js';
import { AccountParams } from './kit/params.js';
import { registerQaPages } from './qa/routes.js';
import { registerReportPages } from './reports/routes.js';
import { registerTargetPages } from './targets/routes.js';
import { registerTraitPages } from './traits/routes.js';
import { registerUserPages } from './users/routes.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Sec-Fetch-Site values of a request the console's own pages made (or a person typed). */
const OWN_SITE = new Set(['same-origin', 'none']);

export interface ConsoleOptions {
  /** the address people reach the server at, for script tags and API examples (default: the request's own) */
  publicUrl?: string;
}

export async function registerConsole(
  app: FastifyInstance,
  services: Services,
  options: ConsoleOptions = {},
): Promise<void> {
  // The server's own address opens the console: the first page a person sees after `npm start`.
  // A redirect only; the console decides who may see what.
  app.get('/', { config: { permission: 'public' }, schema: { hide: true } }, async (_request, reply) =>
    reply.redirect(CONSOLE, 302),
  );
  await app.register(
    async (scope) => {
      scope.decorate('consolePublicUrl', options.publicUrl ?? null);
      scope.addHook('onRoute', (route) => {
        route.config = { ...(route.config ?? {}), onRefusal: consoleRefusal };
      });
      await scope.register(formbody);
      scope.setErrorHandler(consoleErrorHandler);
      scope.setNotFoundHandler((request, reply) =>
        sendConsoleError(request, reply, 404, `There is no console page at ${request.url.split('?')[0]}.`),
      );

      scope.addHook('onRequest', async (request, reply) => {
        // The console is for people: an API key may not drive it, even one that could read.
        if (request.principal?.type === 'key') {
          return sendConsoleError(
            request,
            reply,
            403,
            'The console is for people: sign in instead of presenting an API key.',
          );
        }
        // A change must come from the console's own pages: browsers say where a request comes from.
        if (!SAFE_METHODS.has(request.method)) {
          const site = request.headers['sec-fetch-site'];
          const origin = request.headers.origin;
          const foreignSite = typeof site === 'string' && !OWN_SITE.has(site);
          const foreignOrigin =
            site === undefined && typeof origin === 'string' && !sameHost(origin, request.host);
          if (foreignSite || foreignOrigin) {
            request.refusalCode = 'cross_site';
            return sendConsoleError(
              request,
              reply,
              403,
              'Changes must be made from the Tessera console itself.',
            );
          }
        }
      });

      scope.addHook('onSend', async (_request, reply, payload) => {
        reply.headers(SECURITY_HEADERS);
        if (!reply.hasHeader('cache-control')) reply.header('cache-control', 'no-store');
        return payload;
      });

      registerAssets(scope);
      registerAuthPages(scope, services);
      registerSettingsIndex(scope, services);
      registerKeyPages(scope, services);
      registerTargetPages(scope, services);
      registerUserPages(scope, services);
      registerAuditPages(scope, services);
      registerAgentPages(scope, services);
      registerGoalPages(scope, services);
      registerTraitPages(scope, services);
      registerQaPages(scope, services);
      registerReportPages(scope, services);
    },
    { prefix: CONSOLE },
  );
}

/** Settings opens on the first of its tabs the role may see. */
function registerSettingsIndex(root: FastifyInstance, services: ContextServices): void {
  root
    .withTypeProvider<ZodTypeProvider>()
    .get(
      '/:acc/settings',
      { config: { permission: 'read' }, schema: { params: AccountParams, hide: true } },
      async (request, reply) => {
        const ctx = await accountContext(services, request, request.params.acc);
        const section = ctx.can('manage') ? 'api-keys' : 'deploy-targets';
        return reply.redirect(`${CONSOLE}/${ctx.account.id}/settings/${section}`, 303);
      },
    );
}

function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
