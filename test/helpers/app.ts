/**
 * A whole server on a fresh store, with one account, its Account Admin signed in, and helpers to
 * make requests as any kind of principal. Requests go through `app.inject` (no socket needed).
 */
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from 'fastify';
import type { Role } from '../../src/access/permissions.js';
import type { Account } from '../../src/accounts/accounts.js';
import { buildServer, type ServerOptions } from '../../src/app/server.js';
import { createServices, type ServiceOptions, type Services } from '../../src/app/services.js';
import type { KeyKind } from '../../src/keys/token.js';
import { createTestStore } from './store.js';

export const ADMIN_EMAIL = 'admin@example.com';
export const ADMIN_PASSWORD = 'correct-horse-battery';

export interface SignedIn {
  email: string;
  cookie: string;
  csrfToken: string;
}

/** How a request authenticates: an API key, a signed-in person, or nothing. */
export type As =
  | { key: string; via?: 'header' | 'query' | 'conductrics' }
  | { session: SignedIn; csrf?: boolean }
  | undefined;

export interface CallOptions {
  method?: InjectOptions['method'];
  url: string;
  as?: As;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface TestApp {
  app: FastifyInstance;
  services: Services;
  account: Account;
  admin: SignedIn;
  call(options: CallOptions): Promise<LightMyRequestResponse>;
  signIn(email: string, password: string): Promise<SignedIn>;
  /** adds a person with a role to an account and signs them in */
  person(role: Role, accountId?: string): Promise<SignedIn>;
  /** creates a key through the service (not the HTTP route) and returns its secret and id */
  key(
    kind: KeyKind,
    options?: { accountId?: string; deployTargets?: string[]; name?: string },
  ): Promise<{ id: string; secret: string }>;
  close(): Promise<void>;
}

let people = 0;

export async function createTestApp(
  options: ServerOptions & { sqlitePath?: string; services?: ServiceOptions } = {},
): Promise<TestApp> {
  const { sqlitePath, services: serviceOptions, ...serverOptions } = options;
  const { store, dispose } = await createTestStore(undefined, sqlitePath);
  const services = createServices(store, serviceOptions);
  const app = await buildServer(services, { ...serverOptions, logLevel: options.logLevel ?? 'silent' });
  const first = await services.bootstrap.run({ email: ADMIN_EMAIL, password: ADMIN_PASSWORD });
  if (first.kind !== 'admin-created') throw new Error('test bootstrap did not create the admin');

  async function call({ method = 'GET', url, as, body, headers = {} }: CallOptions) {
    const allHeaders: Record<string, string> = { ...headers };
    let finalUrl = url;
    if (as && 'key' in as) {
      if (as.via === 'query')
        finalUrl += `${url.includes('?') ? '&' : '?'}apikey=${encodeURIComponent(as.key)}`;
      else if (as.via === 'conductrics') allHeaders['x-conductrics-apikey'] = as.key;
      else allHeaders.authorization = `Bearer ${as.key}`;
    } else if (as && 'session' in as) {
      allHeaders.cookie = as.session.cookie;
      if (as.csrf !== false) allHeaders['x-csrf-token'] = as.session.csrfToken;
    }
    return app.inject({
      method,
      url: finalUrl,
      headers: allHeaders,
      ...(body === undefined
        ? {}
        : typeof body === 'string'
          ? { payload: body }
          : { payload: body as object }),
    });
  }

  async function signIn(email: string, password: string): Promise<SignedIn> {
    const res = await app.inject({ method: 'POST', url: '/auth/login', payload: { email, password } });
    if (res.statusCode !== 200) throw new Error(`sign-in of ${email} failed: ${res.statusCode} ${res.body}`);
    const cookie = res.cookies.find((c) => c.name === 'tessera_session');
    if (!cookie) throw new Error('no session cookie');
    return { email, cookie: `tessera_session=${cookie.value}`, csrfToken: res.json().data.csrfToken };
  }

  const admin = await signIn(ADMIN_EMAIL, ADMIN_PASSWORD);

  return {
    app,
    services,
    account: first.account,
    admin,
    call,
    signIn,
    async person(role, accountId = first.account.id) {
      const email = `person${++people}-${role}@example.com`;
      await services.users.addMember(accountId, { email, password: ADMIN_PASSWORD, role });
      return signIn(email, ADMIN_PASSWORD);
    },
    async key(kind, keyOptions = {}) {
      const { key, secret } = await services.keys.createKey(
        keyOptions.accountId ?? first.account.id,
        { kind, name: keyOptions.name ?? `${kind} key`, deployTargets: keyOptions.deployTargets },
        ADMIN_EMAIL,
      );
      return { id: key.id, secret };
    },
    async close() {
      await app.close();
      // Before the store goes: a usage flush timer left running would write to a closed store.
      await services.keyUsage.close();
      await services.events.close();
      await dispose();
    },
  };
}
