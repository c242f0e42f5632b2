/**
 * Who may call a route, checked from the outside. Given a route and its declared permission, this
 * tries every kind of principal — each key kind (by Bearer, by x-conductrics-apikey and by `?apikey=`), each role, no
 * credential, a deleted, a malformed and another account's key, an expired session, another
 * account's Account Admin, a cookie change without its CSRF token — and compares each answer with
 * spec section 4, written out below. The table is deliberately NOT imported from
 * src/access/permissions.ts: a wrong implementation there must make these tests fail.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { LightMyRequestResponse } from 'fastify';
import type { Permission, Role } from '../../src/access/permissions.js';
import type { KeyKind } from '../../src/keys/token.js';
import type { As, SignedIn, TestApp } from './app.js';
import { createTestApp } from './app.js';

export const KEY_KINDS: readonly KeyKind[] = ['rest', 'js', 'admin-read', 'admin-author'];
export const ROLES: readonly Role[] = ['view-reports', 'agent-author', 'agent-admin', 'account-admin'];

/** Spec section 4 (and 3: key-only routes), one row per permission: which key kinds may. */
const KEYS_MAY: Record<Permission, readonly KeyKind[]> = {
  public: KEY_KINDS,
  'signed-in': [],
  'key-self': KEY_KINDS,
  runtime: ['rest'],
  script: ['js'],
  read: ['admin-read', 'admin-author'],
  change: ['admin-author'],
  deploy: ['admin-author'],
  manage: [],
};

/** Spec section 4, one row per permission: which roles may (a person has no key for key-only routes). */
const ROLES_MAY: Record<Permission, readonly Role[]> = {
  public: ROLES,
  'signed-in': ROLES,
  'key-self': [],
  runtime: [],
  script: [],
  read: ['view-reports', 'agent-author', 'agent-admin', 'account-admin'],
  change: ['agent-author', 'agent-admin', 'account-admin'],
  deploy: ['agent-admin', 'account-admin'],
  manage: ['account-admin'],
};

/** Routes only a key can use: a session cookie is no credential there. */
const KEY_ONLY = new Set<Permission>(['key-self', 'runtime', 'script']);
/** Routes of one account: a credential of another account is refused with wrong_account. */
const ACCOUNT_SCOPED = new Set<Permission>(['runtime', 'script', 'read', 'change', 'deploy', 'manage']);
const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

export type Case =
  | { type: 'key'; kind: KeyKind; via: 'header' | 'query' | 'conductrics' }
  | { type: 'role'; role: Role }
  | { type: 'none' }
  | { type: 'deleted-key' }
  | { type: 'malformed-key' }
  | { type: 'expired-session' }
  | { type: 'other-account-key' }
  | { type: 'other-account-admin' }
  | { type: 'no-csrf' };

export const CASES: readonly Case[] = [
  ...KEY_KINDS.flatMap((kind) => [
    { type: 'key', kind, via: 'header' } as const,
    { type: 'key', kind, via: 'query' } as const,
    // the header existing Conductrics admin scripts send: the same outcome as Bearer, everywhere
    { type: 'key', kind, via: 'conductrics' } as const,
  ]),
  ...ROLES.map((role) => ({ type: 'role', role }) as const),
  { type: 'none' },
  { type: 'deleted-key' },
  { type: 'malformed-key' },
  { type: 'expired-session' },
  { type: 'other-account-key' },
  { type: 'other-account-admin' },
  { type: 'no-csrf' },
];

export function caseName(c: Case): string {
  switch (c.type) {
    case 'key':
      return `${c.kind} key (${{ header: 'Bearer', query: '?apikey=', conductrics: 'x-conductrics-apikey' }[c.via]})`;
    case 'role':
      return `signed-in ${c.role}`;
    default:
      return c.type;
  }
}

export type Outcome = { allowed: true } | { allowed: false; status: readonly number[]; code: string };

const ALLOWED: Outcome = { allowed: true };
const refused = (status: number | readonly number[], code: string): Outcome => ({
  allowed: false,
  status: typeof status === 'number' ? [status] : status,
  code,
});

/** The kind a deleted, malformed or foreign key is made of: one the route would otherwise accept. */
export function likelyKind(permission: Permission): KeyKind {
  return KEYS_MAY[permission][0] ?? 'admin-author';
}

function keyKindRefusal(kind: KeyKind, permission: Permission): Outcome {
  // A read-only admin key is of the right kind for the Admin API; what it lacks is the access level.
  if (kind === 'admin-read' && (permission === 'change' || permission === 'deploy')) {
    return refused(403, 'insufficient_role');
  }
  return refused(403, 'wrong_key_kind');
}

/** What spec sections 3 and 4 say a principal gets on a route; null when the case does not apply. */
export function expectedOutcome(permission: Permission, method: string, c: Case): Outcome | null {
  if (permission === 'public') return c.type === 'no-csrf' && SAFE_METHODS.has(method) ? null : ALLOWED;
  // The script tag may answer a refused key with 404 (spec 3.2).
  const refusedKeyStatus = permission === 'script' ? [403, 404] : [403];
  switch (c.type) {
    case 'key':
      return KEYS_MAY[permission].includes(c.kind) ? ALLOWED : keyKindRefusal(c.kind, permission);
    case 'role':
      if (ROLES_MAY[permission].includes(c.role)) return ALLOWED;
      return KEY_ONLY.has(permission)
        ? refused(401, 'credential_missing')
        : refused(403, 'insufficient_role');
    case 'none':
      return refused(401, 'credential_missing');
    case 'deleted-key':
      return refused(refusedKeyStatus, 'key_deleted');
    case 'malformed-key':
      return refused(refusedKeyStatus, 'key_malformed');
    case 'expired-session':
      return KEY_ONLY.has(permission) ? refused(401, 'credential_missing') : refused(401, 'session_expired');
    case 'other-account-key': {
      const kind = likelyKind(permission);
      if (!KEYS_MAY[permission].includes(kind)) return keyKindRefusal(kind, permission);
      return ACCOUNT_SCOPED.has(permission) ? refused(403, 'wrong_account') : ALLOWED;
    }
    case 'other-account-admin':
      if (KEY_ONLY.has(permission)) return refused(401, 'credential_missing');
      return ACCOUNT_SCOPED.has(permission) ? refused(403, 'wrong_account') : ALLOWED;
    case 'no-csrf':
      if (SAFE_METHODS.has(method) || ROLES_MAY[permission].length === 0) return null;
      return refused(403, 'csrf_invalid');
  }
}

/** Everyone the cases need, made once per app. Sessions are minted per request (a route may sign out). */
export interface Principals {
  accountId: string;
  otherAccountId: string;
  keys: Record<KeyKind, string>;
  deletedKeys: Record<KeyKind, string>;
  otherAccountKeys: Record<KeyKind, string>;
  users: Record<Role, string>;
  otherAdmin: string;
  expiredSession: SignedIn;
  /** a session of a user id (made once, until `forgetSessions`) */
  session(userId: string): Promise<SignedIn>;
  /** after a request that may have signed someone out: later requests get new sessions */
  forgetSessions(): void;
}

async function keysOfEachKind(
  t: TestApp,
  accountId: string,
  name: string,
): Promise<Record<KeyKind, { id: string; secret: string }>> {
  const entries = await Promise.all(
    KEY_KINDS.map(async (kind) => [kind, await t.key(kind, { accountId, name: `${name} ${kind}` })] as const),
  );
  return Object.fromEntries(entries) as Record<KeyKind, { id: string; secret: string }>;
}

const secrets = (keys: Record<KeyKind, { secret: string }>) =>
  Object.fromEntries(KEY_KINDS.map((kind) => [kind, keys[kind].secret])) as Record<KeyKind, string>;

let principalsMade = 0;

export async function createPrincipals(t: TestApp): Promise<Principals> {
  const { services } = t;
  const accountId = t.account.id;
  const n = ++principalsMade;
  const other = await services.accounts.create('Other account');
  const password = 'correct-horse-battery';

  async function member(account: string, email: string, role: Role): Promise<string> {
    return (await services.users.addMember(account, { email, password, role })).id;
  }
  const sessions = new Map<string, Promise<SignedIn>>();
  async function newSession(userId: string): Promise<SignedIn> {
    const started = await services.sessions.start(userId);
    return { email: userId, cookie: `tessera_session=${started.token}`, csrfToken: started.csrfToken };
  }
  function session(userId: string): Promise<SignedIn> {
    let made = sessions.get(userId);
    if (!made) {
      made = newSession(userId);
      sessions.set(userId, made);
    }
    return made;
  }

  const [keys, doomed, otherKeys, users, otherAdmin, expiredUser] = await Promise.all([
    keysOfEachKind(t, accountId, 'principal'),
    keysOfEachKind(t, accountId, 'deleted'),
    keysOfEachKind(t, other.id, 'foreign'),
    Promise.all(ROLES.map((role) => member(accountId, `sec${n}-${role}@example.com`, role))),
    member(other.id, `sec${n}-other-admin@example.com`, 'account-admin'),
    member(accountId, `sec${n}-expired@example.com`, 'account-admin'),
  ]);
  for (const kind of KEY_KINDS) await services.keys.deleteKey(accountId, doomed[kind].id, 'test');
  const expiredSession = await newSession(expiredUser);
  await services.store.db
    .updateTable('login_sessions')
    .set({ expires_at: Date.now() - 1 })
    .where('user_id', '=', expiredUser)
    .execute();

  return {
    accountId,
    otherAccountId: other.id,
    keys: secrets(keys),
    deletedKeys: secrets(doomed),
    otherAccountKeys: secrets(otherKeys),
    users: Object.fromEntries(ROLES.map((role, i) => [role, users[i]])) as Record<Role, string>,
    otherAdmin,
    expiredSession,
    session,
    forgetSessions: () => sessions.clear(),
  };
}

/** A well-formed-looking key with one character changed: the checksum refuses it. */
export function mistype(token: string): string {
  const i = token.length - 10;
  return token.slice(0, i) + (token[i] === 'A' ? 'B' : 'A') + token.slice(i + 1);
}

/** The credential a case presents on a route of this permission. */
export async function credentialFor(p: Principals, permission: Permission, c: Case): Promise<As> {
  const kind = likelyKind(permission);
  switch (c.type) {
    case 'key':
      return { key: p.keys[c.kind], via: c.via };
    case 'role':
      return { session: await p.session(p.users[c.role]) };
    case 'none':
      return undefined;
    case 'deleted-key':
      return { key: p.deletedKeys[kind] };
    case 'malformed-key':
      return { key: mistype(p.keys[kind]) };
    case 'expired-session':
      return { session: p.expiredSession };
    case 'other-account-key':
      return { key: p.otherAccountKeys[kind] };
    case 'other-account-admin':
      return { session: await p.session(p.otherAdmin) };
    case 'no-csrf':
      return { session: await p.session(p.users['account-admin']), csrf: false };
  }
}

/** Compares an answer with the outcome; returns what is wrong, or null. */
export function judge(
  res: LightMyRequestResponse,
  expected: Outcome,
  options: { method?: string; plainTextErrors?: boolean } = {},
): string | null {
  if (res.statusCode >= 500) return `answered ${res.statusCode}: ${res.body.slice(0, 200)}`;
  let code: string | undefined;
  try {
    code = (res.json() as { code?: string }).code;
  } catch {
    code = undefined;
  }
  if (expected.allowed) {
    if (res.statusCode === 401 || res.statusCode === 403) {
      return `expected to be allowed, got ${res.statusCode} ${code ?? res.body.slice(0, 100)}`;
    }
    return null;
  }
  if (!expected.status.includes(res.statusCode) || (code !== undefined && code !== expected.code)) {
    return `expected ${expected.status.join(' or ')} ${expected.code}, got ${res.statusCode} ${code ?? res.body.slice(0, 100)}`;
  }
  // HEAD answers carry no body; the script tag answers plain text
  if (code === undefined && options.method !== 'HEAD' && !options.plainTextErrors) {
    return `expected a JSON error with code ${expected.code}, got ${res.body.slice(0, 100)}`;
  }
  return null;
}

export interface RouteContext {
  t: TestApp;
  principals: Principals;
  /** the request is expected to succeed: give it resources of its own if it uses them up */
  fresh: boolean;
}

export interface RouteUnderTest {
  method: 'GET' | 'HEAD' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** the route as registered, e.g. /admin/:acc/api-keys/:id */
  path: string;
  permission: Permission;
  /** how to fill each parameter other than :acc */
  params?: Record<string, (ctx: RouteContext) => string | Promise<string>>;
  /** a valid body */
  body?: (ctx: RouteContext) => unknown;
  /** the status an allowed principal gets (default: any 2xx) */
  ok?: number;
}

export async function urlFor(route: RouteUnderTest, ctx: RouteContext): Promise<string> {
  let url = route.path;
  for (const name of route.path.match(/:[A-Za-z]+/g) ?? []) {
    const param = name.slice(1);
    const fill = param === 'acc' ? () => ctx.principals.accountId : route.params?.[param];
    if (!fill) throw new Error(`no value for ${name} of ${route.path}`);
    url = url.replace(name, encodeURIComponent(await fill(ctx)));
  }
  return url;
}

/**
 * Defines, for each route, one test per case. Every area's `.security.test.ts` calls this with its
 * routes; the app and the principals are made once per file.
 */
export function securitySuite(area: string, routes: readonly RouteUnderTest[]): void {
  describe(`${area}: who may call each route (spec section 4)`, () => {
    let t: TestApp;
    let principals: Principals;
    before(async () => {
      t = await createTestApp();
      principals = await createPrincipals(t);
    });
    after(() => t.close());

    for (const route of routes) {
      describe(`${route.method} ${route.path} (${route.permission})`, () => {
        for (const c of CASES) {
          const expected = expectedOutcome(route.permission, route.method, c);
          if (expected === null) continue;
          test(`${caseName(c)}: ${expected.allowed ? 'allowed' : expected.code}`, async () => {
            const ctx: RouteContext = { t, principals, fresh: expected.allowed };
            const res = await t.call({
              method: route.method,
              url: await urlFor(route, ctx),
              as: await credentialFor(principals, route.permission, c),
              body: route.body?.(ctx),
            });
            if (route.path.endsWith('/logout')) principals.forgetSessions();
            const problem = judge(res, expected, {
              method: route.method,
              plainTextErrors: route.permission === 'script',
            });
            assert.equal(problem, null, problem ?? '');
            if (expected.allowed) {
              if (route.ok !== undefined) assert.equal(res.statusCode, route.ok, res.body);
              else assert.ok(res.statusCode < 300, `${res.statusCode} ${res.body}`);
            } else {
              assert.equal(res.headers['set-cookie'], undefined, 'a refusal sets no cookie');
            }
          });
        }
      });
    }
  });
}
