/**
 * The console: server-rendered pages under /console, in their own Fastify scope so that form
 * bodies, HTML errors and the page security headers apply to them only (the JSON API is left as
 * it is). Every console route declares its permission and goes through the same authorizer; a
 * refusal answers in HTML (sign-in redirect or error page) through the route's `onRefusal`.
 */
import formbody from '@fastify/formbody';
import type { FastifyInstance } from 'fastify';
import type { Services } from '../web/services.js';
import { registerAgentPages } from './agents-pages.js';
import { registerApiKeyPages } from './api-keys-page.js';
import { registerAssets } from './assets.js';
import { registerAuditPages } from './audit-page.js';
import { registerAuthPages } from './auth-pages.js';
import { consoleErrorHandler, consoleRefusal, sendConsoleError } from './errors.js';
import { CONSOLE, SECURITY_HEADERS } from './html.js';
import { registerReportPages } from './reports-pages.js';
import { registerSettingsPages } from './settings-pages.js';

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** Sec-Fetch-Site values of a request the console's own pages made (or a person typed). */
const OWN_SITE = new Set(['same-origin', 'none']);

export async function registerConsole(app: FastifyInstance, services: Services): Promise<void> {
  await app.register(
    async (scope) => {
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
      registerApiKeyPages(scope, services);
      registerSettingsPages(scope, services);
      registerAuditPages(scope, services);
      registerAgentPages(scope, services);
      registerReportPages(scope, services);
    },
    { prefix: CONSOLE },
  );
}

function sameHost(origin: string, host: string): boolean {
  try {
    return new URL(origin).host === host;
  } catch {
    return false;
  }
}
