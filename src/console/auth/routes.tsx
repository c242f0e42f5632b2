/**
 * Sign in, sign out, the console's home (which account to open), and the one-time setup page a
 * fresh install prints a link to. Sign-in and setup are plain form posts (they happen before a
 * session, and so before a CSRF token, exists); the Sec-Fetch-Site guard of the console refuses
 * them from other sites.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE, SESSION_LIFETIME_MS } from '../../accounts/sessions.js';
import { checkSignIn } from '../../accounts/sign-in.js';
import { normalizeEmail } from '../../accounts/users.js';
import { ConflictError, InvalidInputError } from '../../kernel/errors.js';
import type { Services } from '../../web/services.js';
import { loginPath } from '../errors.js';
import { viewerOf } from '../kit/context.js';
import { CONSOLE, isHtmx, safeNext, sendHtml } from '../kit/html.js';
import { PlainPage } from '../kit/layout.js';
import { LoginForm, SetupForm } from './forms.js';
import { LoginPage, SetupPage } from './pages.js';

export type AuthPageServices = Pick<
  Services,
  'accounts' | 'users' | 'sessions' | 'loginThrottle' | 'bootstrap'
>;

/** The section an account opens on. */
export const accountHome = (accountId: string) => `${CONSOLE}/${accountId}/agents`;

function startSessionCookie(reply: FastifyReply, token: string): void {
  reply.setCookie(SESSION_COOKIE, token, {
    httpOnly: true,
    sameSite: 'strict',
    secure: 'auto',
    path: '/',
    maxAge: SESSION_LIFETIME_MS / 1000,
  });
}

export function registerAuthPages(root: FastifyInstance, services: AuthPageServices): void {
  const app = root.withTypeProvider<ZodTypeProvider>();
  const hide = true;

  app.get('/', { config: { permission: 'signed-in' }, schema: { hide } }, async (request, reply) => {
    const viewer = await viewerOf(services, request);
    const [first] = viewer.accounts;
    if (first) return reply.redirect(accountHome(first.id), 303);
    return sendHtml(
      reply,
      <PlainPage title="No account" viewer={viewer}>
        <h1>No account yet</h1>
        <p>You are signed in, but you are not a member of any account. Ask an Account Admin to add you.</p>
      </PlainPage>,
    );
  });

  app.get(
    '/login',
    {
      config: { permission: 'public' },
      schema: { hide, querystring: z.object({ next: z.string().max(2000).optional() }) },
    },
    async (request, reply) => {
      const next = safeNext(request.query.next);
      const cookie = request.cookies[SESSION_COOKIE];
      if (cookie && (await services.sessions.resolve(cookie))) return reply.redirect(next, 303);
      return sendHtml(reply, <LoginPage next={next} />);
    },
  );

  app.post(
    '/login',
    { config: { permission: 'public' }, schema: { hide, body: LoginForm } },
    async (request, reply) => {
      const next = safeNext(request.body.next);
      const email = normalizeEmail(request.body.email);
      const check = await checkSignIn(services, email, request.body.password, request.ip);
      if (check.kind === 'throttled') {
        reply.header('retry-after', String(check.retryAfter));
        const error = `Too many failed sign-ins; try again in ${check.retryAfter} seconds.`;
        return sendHtml(reply, <LoginPage next={next} email={email} error={error} />, 429);
      }
      if (check.kind === 'invalid') {
        return sendHtml(
          reply,
          <LoginPage next={next} email={email} error="Email or password is wrong." />,
          401,
        );
      }
      const session = await services.sessions.start(check.userId);
      startSessionCookie(reply, session.token);
      return reply.redirect(next, 303);
    },
  );

  app.post('/logout', { config: { permission: 'signed-in' }, schema: { hide } }, async (request, reply) => {
    if (request.principal.type === 'user') await services.sessions.end(request.principal.user.sessionHash);
    reply.clearCookie(SESSION_COOKIE, { path: '/' });
    if (isHtmx(request)) {
      reply.header('hx-redirect', loginPath());
      return reply.code(204).send();
    }
    return reply.redirect(loginPath(), 303);
  });

  app.get(
    '/setup',
    {
      config: { permission: 'public' },
      schema: { hide, querystring: z.object({ token: z.string().max(200).default('') }) },
    },
    async (request, reply) => {
      const done = (await services.users.count()) > 0;
      return sendHtml(reply, <SetupPage token={request.query.token} done={done} />);
    },
  );

  app.post(
    '/setup',
    { config: { permission: 'public' }, schema: { hide, body: SetupForm } },
    async (request, reply) => {
      const { token, email, password, confirm } = request.body;
      if (password !== confirm) {
        return sendHtml(
          reply,
          <SetupPage token={token} email={email} error="The two passwords differ." />,
          422,
        );
      }
      try {
        const { accountId } = await services.bootstrap.completeSetup(token, email, password);
        const user = await services.users.findByEmail(email);
        if (user) startSessionCookie(reply, (await services.sessions.start(user.id)).token);
        return reply.redirect(`${CONSOLE}/${accountId}/settings/api-keys`, 303);
      } catch (error) {
        if (error instanceof ConflictError) return sendHtml(reply, <SetupPage token={token} done />, 409);
        if (error instanceof InvalidInputError) {
          return sendHtml(reply, <SetupPage token={token} email={email} error={error.message} />, 422);
        }
        throw error;
      }
    },
  );
}
