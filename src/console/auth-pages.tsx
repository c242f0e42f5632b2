/**
 * Sign in, sign out, the console's home (which account to open), and the one-time setup page a
 * fresh install prints a link to. Sign-in and setup are plain form posts (they happen before a
 * session, and so before a CSRF token, exists); the Sec-Fetch-Site guard of the console refuses
 * them from other sites.
 */
import type { FastifyInstance, FastifyReply } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { SESSION_COOKIE, SESSION_LIFETIME_MS } from '../accounts/sessions.js';
import { checkSignIn } from '../accounts/sign-in.js';
import { normalizeEmail } from '../accounts/users.js';
import { ConflictError, InvalidInputError } from '../kernel/errors.js';
import type { Services } from '../web/services.js';
import { viewerOf } from './context.js';
import { loginPath } from './errors.js';
import { CONSOLE, isHtmx, safeNext, sendHtml } from './html.js';
import { PlainPage } from './layout.js';

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

function LoginPage(props: { next: string; email?: string; error?: string }): JSX.Element {
  return (
    <PlainPage title="Sign in">
      <h1>Sign in to Tessera</h1>
      {props.error ? (
        <p class="flash error" role="alert" safe>
          {props.error}
        </p>
      ) : (
        ''
      )}
      <form method="post" action={`${CONSOLE}/login`} class="stack">
        <input type="hidden" name="next" value={props.next} />
        <label for="login-email">Email</label>
        <input
          id="login-email"
          name="email"
          type="email"
          autocomplete="username"
          required
          value={props.email}
          autofocus
        />
        <label for="login-password">Password</label>
        <input id="login-password" name="password" type="password" autocomplete="current-password" required />
        <button type="submit" class="button primary">
          Sign in
        </button>
      </form>
    </PlainPage>
  );
}

function SetupPage(props: { token: string; email?: string; error?: string; done?: boolean }): JSX.Element {
  return (
    <PlainPage title="Set up Tessera">
      <h1>Set up Tessera</h1>
      {props.done ? (
        <p>
          Setup is complete. <a href={`${CONSOLE}/login`}>Sign in</a> instead.
        </p>
      ) : (
        <>
          <p>Choose the email and password of the first Account Admin. This link works once.</p>
          {props.error ? (
            <p class="flash error" role="alert" safe>
              {props.error}
            </p>
          ) : (
            ''
          )}
          <form method="post" action={`${CONSOLE}/setup`} class="stack">
            <input type="hidden" name="token" value={props.token} />
            <label for="setup-email">Email</label>
            <input
              id="setup-email"
              name="email"
              type="email"
              autocomplete="username"
              required
              value={props.email}
              autofocus
            />
            <label for="setup-password">Password (at least 10 characters)</label>
            <input
              id="setup-password"
              name="password"
              type="password"
              autocomplete="new-password"
              minlength="10"
              required
            />
            <label for="setup-confirm">Password again</label>
            <input
              id="setup-confirm"
              name="confirm"
              type="password"
              autocomplete="new-password"
              minlength="10"
              required
            />
            <button type="submit" class="button primary">
              Create the Account Admin
            </button>
          </form>
        </>
      )}
    </PlainPage>
  );
}

const LoginForm = z.object({
  email: z.string().max(254).default(''),
  password: z.string().max(1024).default(''),
  next: z.string().max(2000).optional(),
});

const SetupForm = z.object({
  token: z.string().max(200).default(''),
  email: z.string().max(254).default(''),
  password: z.string().max(1024).default(''),
  confirm: z.string().max(1024).default(''),
});

export function registerAuthPages(root: FastifyInstance, services: Services): void {
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
