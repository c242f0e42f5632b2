/**
 * Authentication and authorization for every route, before the body is even parsed:
 *   - every route must declare `config.permission` (a route without one fails at start-up),
 *   - the presented credential becomes a Principal (a key, a signed-in person, or nobody),
 *   - the one authorizer decides, and a refusal leaves as 401/403/404 with its code,
 *   - cookie-authenticated changes must carry the session's CSRF token.
 */
import '@fastify/cookie';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { authorize } from '../access/authorizer.js';
import type { Permission } from '../access/permissions.js';
import type { Principal } from '../access/principal.js';
import { SESSION_COOKIE } from '../accounts/sessions.js';
import type { DeployTarget } from '../agents/deploy-targets.js';
import type { Services } from '../services.js';
import { sendError } from './errors.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    permission?: Permission;
    /** answers a refusal in the route's own format (console pages: HTML); JSON when absent */
    onRefusal?: (request: FastifyRequest, reply: FastifyReply, refusal: Refusal) => FastifyReply;
  }
  interface FastifyRequest {
    principal: Principal;
    deployTarget: DeployTarget | null;
    /** why the authorizer refused this request, for the metrics */
    refusalCode: string | null;
  }
}

/** Why the hook refused a request: what a route's `onRefusal` renders. */
export interface Refusal {
  status: 401 | 403 | 404;
  code: string;
  message: string;
}

function refuse(request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply {
  request.refusalCode = refusal.code;
  const custom = request.routeOptions.config.onRefusal;
  if (custom) return custom(request, reply, refusal);
  return sendError(reply, refusal.status, refusal.code, refusal.message);
}

const ANONYMOUS: Principal = { type: 'anonymous' };
const KEY_ONLY = new Set<Permission>(['runtime', 'script', 'key-self']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/** The key a request presents: `Authorization: Bearer KEY`, or `?apikey=KEY` (what runtime clients send). */
export function presentedKey(request: FastifyRequest): string | undefined {
  // An empty value (`Bearer ` or `apikey=`) presents nothing: 401 credential_missing, not a refusal.
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^bearer(\s|$)/i.test(header)) {
    const token = header.replace(/^bearer/i, '').trim();
    if (token !== '') return token;
  }
  const query = request.query as Record<string, unknown> | undefined;
  const apikey = Array.isArray(query?.apikey) ? query.apikey[0] : query?.apikey;
  return typeof apikey === 'string' && apikey !== '' ? apikey : undefined;
}

export async function resolvePrincipal(
  services: Services,
  request: FastifyRequest,
  permission: Permission,
): Promise<Principal> {
  const token = presentedKey(request);
  if (token !== undefined) {
    const verification = await services.keyVerifier.verify(token);
    return verification.ok
      ? { type: 'key', key: verification.key, secretHash: verification.secretHash }
      : { type: 'refused-key', code: verification.code };
  }
  if (KEY_ONLY.has(permission)) return ANONYMOUS;
  const cookie = request.cookies?.[SESSION_COOKIE];
  if (!cookie) return ANONYMOUS;
  const user = await services.sessions.resolve(cookie);
  return user ? { type: 'user', user } : { type: 'expired-session' };
}

export function registerAuthentication(app: FastifyInstance, services: Services): void {
  // Decorated with null (Fastify forbids shared object defaults); set on every routed request.
  app.decorateRequest('principal', null as never);
  app.decorateRequest('deployTarget', null);
  app.decorateRequest('refusalCode', null);

  app.addHook('onRoute', (route) => {
    const url = route.url ?? '';
    // The API reference pages come from a plugin and are public by nature.
    if (url === '/docs' || url.startsWith('/docs/')) {
      route.config = { ...(route.config ?? {}), permission: 'public' };
    }
    if (!route.config?.permission) {
      throw new Error(`Route ${String(route.method)} ${url} declares no permission; every route must`);
    }
  });

  app.addHook('onRequest', async (request, reply) => {
    const permission = request.routeOptions.config.permission;
    if (permission === undefined) return; // the not-found handler
    if (permission === 'public') {
      request.principal = ANONYMOUS;
      return;
    }
    const principal = await resolvePrincipal(services, request, permission);
    request.principal = principal;
    const params = request.params as Record<string, string | undefined>;
    const accountId = params.acc;
    let deployTarget: DeployTarget | null = null;
    // Only a key of the addressed account gets as far as the deploy-target check, so only then
    // is the target looked up (a flood of refused requests costs no lookup).
    if (
      (permission === 'runtime' || permission === 'script') &&
      principal.type === 'key' &&
      principal.key.accountId === accountId &&
      accountId
    ) {
      deployTarget = (await services.deployTargets.resolve(accountId, params.dt)) ?? null;
    }
    const decision = authorize(principal, permission, { accountId, deployTarget });
    if (!decision.allowed) {
      reply.header('cache-control', 'no-store');
      return refuse(request, reply, decision);
    }
    if (principal.type === 'user' && !SAFE_METHODS.has(request.method)) {
      const csrf = request.headers['x-csrf-token'];
      if (csrf !== principal.user.csrfToken) {
        return refuse(request, reply, {
          status: 403,
          code: 'csrf_invalid',
          message: 'Changes made with a session cookie must send the x-csrf-token header from sign-in',
        });
      }
    }
    request.deployTarget = deployTarget;
  });
}
