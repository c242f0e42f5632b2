/** Sign-in, sign-out, who am I, and the one-time setup link of a fresh install. */
import type { FastifyInstance } from 'fastify';
import type { ZodTypeProvider } from 'fastify-type-provider-zod';
import { z } from 'zod';
import { ROLES } from '../../access/permissions.js';
import { SESSION_COOKIE, SESSION_LIFETIME_MS } from '../../accounts/sessions.js';
import { checkSignIn } from '../../accounts/sign-in.js';
import { EmailAddress, normalizeEmail } from '../../accounts/users.js';
import { sendError } from '../../web/errors.js';
import { Answer, bodyFields, ok } from '../../web/schemas.js';
import type { Services } from '../../web/services.js';

const Credentials = z.object({
  email: z.string().trim().min(1, 'is required').max(254),
  password: z.string().min(1, 'is required').max(1024),
});

const SignedIn = z.object({ csrfToken: z.string().describe('send it as x-csrf-token with changes') });
const SignedOut = z.object({ signedOut: z.literal(true) });
const Me = z.object({
  user: z.object({ id: z.string(), email: z.string() }),
  accounts: z.array(z.object({ code: z.string(), name: z.string(), role: z.enum(ROLES) })),
  csrfToken: z.string(),
});
const SetUp = z.object({ accountId: z.string(), email: z.string() });

export function registerAuthRoutes(
  root: FastifyInstance,
  services: Pick<Services, 'users' | 'loginThrottle' | 'sessions' | 'accounts' | 'bootstrap'>,
): void {
  const app = root.withTypeProvider<ZodTypeProvider>();

  app.post(
    '/auth/login',
    {
      config: { permission: 'public' },
      schema: { tags: ['people'], body: Credentials, response: { 200: Answer(SignedIn) } },
    },
    async (request, reply) => {
      const email = normalizeEmail(request.body.email);
      const check = await checkSignIn(services, email, request.body.password, request.ip);
      if (check.kind === 'throttled') {
        reply.header('retry-after', String(check.retryAfter));
        return sendError(
          reply,
          429,
          'too_many_attempts',
          `Too many failed sign-ins; try again in ${check.retryAfter} seconds`,
        );
      }
      if (check.kind === 'invalid')
        return sendError(reply, 401, 'invalid_credentials', 'Email or password is wrong');
      const session = await services.sessions.start(check.userId);
      reply.setCookie(SESSION_COOKIE, session.token, {
        httpOnly: true,
        sameSite: 'strict',
        secure: 'auto',
        path: '/',
        maxAge: SESSION_LIFETIME_MS / 1000,
      });
      return ok({ csrfToken: session.csrfToken });
    },
  );

  app.post(
    '/auth/logout',
    {
      config: { permission: 'signed-in' },
      schema: { tags: ['people'], response: { 200: Answer(SignedOut) } },
    },
    async (request, reply) => {
      if (request.principal.type === 'user') await services.sessions.end(request.principal.user.sessionHash);
      reply.clearCookie(SESSION_COOKIE, { path: '/' });
      return ok({ signedOut: true });
    },
  );

  app.get(
    '/auth/me',
    { config: { permission: 'signed-in' }, schema: { tags: ['people'], response: { 200: Answer(Me) } } },
    async (request) => {
      if (request.principal.type !== 'user') throw new Error('signed-in route reached without a person');
      const { user } = request.principal;
      const accounts = [];
      for (const [code, role] of user.roles) {
        const account = await services.accounts.get(code);
        if (account) accounts.push({ code, name: account.name, role });
      }
      return ok({ user: { id: user.id, email: user.email }, accounts, csrfToken: user.csrfToken });
    },
  );

  app.post(
    '/setup',
    {
      config: { permission: 'public' },
      schema: {
        tags: ['people'],
        body: Credentials.extend({
          token: z.string().min(1, 'is required').max(200),
          email: EmailAddress,
        }),
        response: { 201: Answer(SetUp, 201) },
      },
    },
    async (request, reply) => {
      const { token, email, password } = request.body;
      const { accountId } = await bodyFields(services.bootstrap.completeSetup(token, email, password));
      return reply.code(201).send({ status: 201, data: { accountId, email: normalizeEmail(email) } });
    },
  );
}
