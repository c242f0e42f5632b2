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
import type { DeployTarget } from '../targets/deploy-targets.js';
import { sendError } from './errors.js';
import type { Services } from './services.js';

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
  status: 401 | 403 | 404 | 429;
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
/** The header Conductrics admin scripts send their key in (lower case: as Node names headers). */
export const CONDUCTRICS_KEY_HEADER = 'x-conductrics-apikey';

/** What a request presents a key in: its headers and its parsed query. */
export interface KeyCarrier {
  headers: Record<string, string | string[] | undefined>;
  query?: unknown;
}

/**
 * The key a request presents: `Authorization: Bearer KEY`, `x-conductrics-apikey: KEY` (what
 * existing admin scripts send) or `?apikey=KEY` (what runtime clients send), tried in that order.
 */
export function presentedKey(request: KeyCarrier): string | undefined {
  // An empty value (`Bearer `, an empty header or `apikey=`) presents nothing: 401
  // credential_missing, not a refusal.
  const header = request.headers.authorization;
  if (typeof header === 'string' && /^bearer(\s|$)/i.test(header)) {
    const token = header.replace(/^bearer/i, '').trim();
    if (token !== '') return token;
  }
  const conductrics = request.headers[CONDUCTRICS_KEY_HEADER];
  const fromHeader = (Array.isArray(conductrics) ? conductrics[0] : conductrics)?.trim();
  if (fromHeader) return fromHeader;
  const query = request.query as Record<string, unknown> | undefined;
  const apikey = Array.isArray(query?.apikey) ? query.apikey[0] : query?.apikey;
  return typeof apikey === 'string' && apikey !== '' ? apikey : undefined;
}

/** The principal a presented key makes: the key, or a refusal naming why (and the key, if known). */
export async function keyPrincipal(
  services: Pick<Services, 'keyVerifier'>,
  token: string,
): Promise<Principal> {
  const verification = await services.keyVerifier.verify(token);
  if (verification.ok) {
    const { key, secretHash, secret } = verification;
    return { type: 'key', key, secretHash, secret };
  }
  const { code } = verification;
  // A deleted or expired key is still recognised: its refusals are counted in its usage.
  const known =
    code === 'key_deleted' || code === 'key_expired' ? services.keyVerifier.recognise(token) : undefined;
  return known ? { type: 'refused-key', code, ...known } : { type: 'refused-key', code };
}

export async function resolvePrincipal(
  services: Services,
  request: FastifyRequest,
  permission: Permission,
): Promise<Principal> {
  const token = presentedKey(request);
  if (token !== undefined) return keyPrincipal(services, token);
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
      request.deployTarget = deployTarget; // for the key's usage: where it was refused
      reply.header('cache-control', 'no-store');
      return refuse(request, reply, decision);
    }
    // A CORS preflight only asks whether a request may be sent: it uses no budget.
    if (
      principal.type === 'key' &&
      principal.key.rateLimit &&
      permission !== 'key-self' &&
      request.method !== 'OPTIONS'
    ) {
      const { perSecond } = principal.key.rateLimit;
      const limit = await services.keyRateLimiter.consume(principal.key.id, perSecond);
      if (!limit.allowed) {
        const seconds = Math.ceil(limit.retryAfterMs / 1000);
        reply.header('retry-after', String(seconds));
        reply.header('cache-control', 'no-store');
        request.deployTarget = deployTarget;
        return refuse(request, reply, {
          status: 429,
          code: 'rate_limited',
          message: `This API key may make ${perSecond} request(s) per second; retry in ${seconds} s`,
        });
      }
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

  // Counted once the answer is known, so a refusal made after this hook (a browser origin the
  // key does not allow) counts as the refusal it is. Synchronous and O(1): memory only.
  app.addHook('onResponse', (request, reply, done) => {
    countKeyUse(services, {
      principal: request.principal,
      permission: request.routeOptions.config.permission,
      method: request.method,
      deployTargetId: request.deployTarget?.id ?? null,
      refusalCode: request.refusalCode,
      ip: request.ip,
      userAgent: request.headers['user-agent'],
      status: reply.statusCode,
    });
    done();
  });
}

/** One answered request, as its key's usage sees it. */
export interface KeyUse {
  /** null: the request never reached authentication (an unknown route) */
  principal: Principal | null;
  permission: Permission | undefined;
  method: string;
  deployTargetId: string | null;
  refusalCode: string | null;
  ip: string;
  userAgent: string | undefined;
  status: number;
}

/**
 * Adds the request to its key's usage: accepted, or refused with the reason, when the key was
 * recognised. Introspection (`/v3/keys/self`) is a question about the key, and a CORS preflight a
 * question about a request to come: neither is a use of the key.
 */
export function countKeyUse(services: Pick<Services, 'keyUsage' | 'now'>, use: KeyUse): void {
  const { principal } = use;
  if (!principal || use.permission === 'key-self' || use.method === 'OPTIONS') return;
  if (principal.type === 'key') {
    const generation = principal.secret?.generation ?? 1;
    const target = use.deployTargetId;
    const reason = use.refusalCode ?? (use.status === 401 || use.status === 403 ? 'refused' : null);
    if (reason === null) {
      services.keyUsage.used(principal.key.id, generation, target, use.ip, use.userAgent, services.now());
    } else {
      services.keyUsage.refused(principal.key.id, generation, reason, target, services.now());
    }
  } else if (principal.type === 'refused-key' && principal.keyId !== undefined) {
    services.keyUsage.refused(
      principal.keyId,
      principal.generation ?? 1,
      principal.code,
      null,
      services.now(),
    );
  }
}
