/**
 * Every registered route, tried by every kind of principal (test/helpers/security.ts), answers as
 * spec section 4 says. The table below is this test's own list of routes and the permission each
 * must have: a route registered without an entry here fails the test, so a new route is added to
 * the table deliberately, with the permission the spec gives it. Entries for routes that are not
 * (yet) registered are fine.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import type { Permission } from '../src/access/permissions.js';
import { buildServer } from '../src/app/server.js';
import { createServices } from '../src/app/services.js';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestApp, type TestApp } from './helpers/app.js';
import {
  CASES,
  type Case,
  caseName,
  createPrincipals,
  credentialFor,
  expectedOutcome,
  judge,
  type Outcome,
  type Principals,
} from './helpers/security.js';
import { createTestStore } from './helpers/store.js';

/** METHOD path → permission, from spec sections 3 and 4. HEAD routes take their GET's entry. */
const ROUTES: Record<string, Permission> = {
  // health, metrics, the API description (section 6, issue 2)
  'GET /health': 'public',
  'GET /metrics': 'public',
  'GET /openapi.json': 'public',
  // CORS preflights of the runtime API: no credential comes with them; the POST is checked.
  'OPTIONS /:acc/v3/agent-api': 'public',
  'OPTIONS /:acc/v3/agent-api/:dt': 'public',
  'GET /docs': 'public',
  'GET /docs/': 'public',
  'GET /docs/json': 'public',
  'GET /docs/yaml': 'public',
  'GET /docs/static/*': 'public',
  'GET /docs/static/index.html': 'public',
  'GET /docs/static/swagger-initializer.js': 'public',

  // people (3.4)
  'POST /auth/login': 'public',
  'POST /auth/logout': 'signed-in',
  'GET /auth/me': 'signed-in',
  'POST /setup': 'public',

  // API keys, users, deploy targets: people who manage the account (3.4, 4)
  'GET /admin/:acc/api-keys': 'manage',
  'POST /admin/:acc/api-keys': 'manage',
  'GET /admin/:acc/api-keys/:id': 'manage',
  'PATCH /admin/:acc/api-keys/:id': 'manage',
  'DELETE /admin/:acc/api-keys/:id': 'manage',
  'POST /admin/:acc/api-keys/:id/roll': 'manage',
  'POST /admin/:acc/api-keys/:id/roll/end': 'manage',
  'GET /admin/:acc/users': 'manage',
  'POST /admin/:acc/users': 'manage',
  'PATCH /admin/:acc/users/:id': 'manage',
  'DELETE /admin/:acc/users/:id': 'manage',
  'GET /admin/:acc/deploy-targets': 'read',
  'GET /admin/:acc/deploy-targets/:dt': 'read',
  'POST /admin/:acc/deploy-targets': 'manage',
  'PATCH /admin/:acc/deploy-targets/:dt': 'manage',
  'DELETE /admin/:acc/deploy-targets/:dt': 'manage',
  'GET /admin/:acc/audit': 'manage',
  'GET /admin/:acc/audit.jsonl': 'manage',

  // Admin API (3.3)
  'GET /admin/:acc/agents': 'read',
  'GET /admin/:acc/agents/:a': 'read',
  'PUT /admin/:acc/agents/:a': 'change',
  'DELETE /admin/:acc/agents/:a': 'change',
  'GET /admin/:acc/goals': 'read',
  'GET /admin/:acc/goals/:g': 'read',
  'PUT /admin/:acc/goals/:g': 'change',
  'DELETE /admin/:acc/goals/:g': 'change',
  'GET /admin/:acc/traits': 'read',
  'GET /admin/:acc/traits/:group': 'read',
  'PUT /admin/:acc/traits/:group': 'change',
  'DELETE /admin/:acc/traits/:group': 'change',
  'GET /admin/:acc/qa-sessions': 'read',
  'POST /admin/:acc/qa-sessions': 'change',
  'DELETE /admin/:acc/qa-sessions/:code': 'change',
  'GET /admin/:acc/qa-sessions/:code/requests': 'read',
  'POST /admin/:acc/qa-sessions/:code/forget': 'change',
  'POST /admin/:acc/deploy-targets/:dt/playground': 'read',
  'POST /admin/:acc/deploy-targets/:dt/deploy': 'deploy',
  'GET /admin/:acc/reports/decision-stats/:a': 'read',
  'GET /admin/:acc/reports/decision-stats/:a.csv': 'read',

  // runtime (3.1), script tag and on-device (3.2), introspection (3.4)
  'POST /:acc/v3/agent-api': 'runtime',
  'POST /:acc/v3/agent-api/:dt': 'runtime',
  'GET /:acc/v3/agent-api/js/:dt': 'script',
  'GET /:acc/v3/agent-api/js/:file/:dt': 'script',
  'POST /:acc/v3/agent-api/js/:dt/events': 'script',
  'OPTIONS /:acc/v3/agent-api/js/:dt/events': 'script',
  'GET /:acc/v3/agent-api/bundle/:dt': 'script',
  'GET /v3/keys/self': 'key-self',

  // console (section 5): pages for people, with the permission of what they show or do
  // the server's own address: a redirect to the console
  'GET /': 'public',
  'GET /console/assets/:name': 'public',
  'GET /console/login': 'public',
  'POST /console/login': 'public',
  'GET /console/setup': 'public',
  'POST /console/setup': 'public',
  'POST /console/logout': 'signed-in',
  'GET /console': 'signed-in',
  'GET /console/': 'signed-in',
  'GET /console/:acc': 'read',
  'GET /console/:acc/agents': 'read',
  'GET /console/:acc/agents/new': 'change',
  'POST /console/:acc/agents': 'change',
  'GET /console/:acc/agents/:a': 'read',
  'POST /console/:acc/agents/:a': 'change',
  'GET /console/:acc/qa': 'read',
  'POST /console/:acc/qa': 'change',
  'POST /console/:acc/qa/:code/delete': 'change',
  'POST /console/:acc/qa/:code/forget': 'change',
  'POST /console/:acc/qa/playground': 'read',
  'GET /console/:acc/traits': 'read',
  'GET /console/:acc/traits/:group': 'read',
  'POST /console/:acc/traits': 'change',
  'POST /console/:acc/traits/:group/delete': 'change',
  'GET /console/:acc/goals': 'read',
  'GET /console/:acc/goals/new': 'change',
  'POST /console/:acc/goals': 'change',
  'GET /console/:acc/goals/:g/delete': 'change',
  'POST /console/:acc/goals/:g/delete': 'change',
  'GET /console/:acc/goals/:g': 'read',
  'POST /console/:acc/goals/:g': 'change',
  'GET /console/:acc/reports': 'read',
  'GET /console/:acc/reports/:a': 'read',
  'GET /console/:acc/settings': 'read',
  'GET /console/:acc/settings/api-keys': 'manage',
  'GET /console/:acc/settings/api-keys/new-admin': 'manage',
  'POST /console/:acc/settings/api-keys': 'manage',
  'GET /console/:acc/settings/api-keys/:id/edit': 'manage',
  'POST /console/:acc/settings/api-keys/:id/edit': 'manage',
  'GET /console/:acc/settings/api-keys/:id/delete': 'manage',
  'POST /console/:acc/settings/api-keys/:id/delete': 'manage',
  'GET /console/:acc/settings/api-keys/:id/script-tags': 'manage',
  'GET /console/:acc/settings/api-keys/:id/usage': 'manage',
  'GET /console/:acc/settings/api-keys/:id/roll': 'manage',
  'POST /console/:acc/settings/api-keys/:id/roll': 'manage',
  'POST /console/:acc/settings/api-keys/:id/roll/end': 'manage',
  'GET /console/:acc/settings/audit': 'manage',
  'GET /console/:acc/settings/deploy-targets': 'read',
  'GET /console/:acc/settings/deploy-targets/new': 'manage',
  'POST /console/:acc/settings/deploy-targets': 'manage',
  'GET /console/:acc/settings/deploy-targets/:dt/edit': 'manage',
  'POST /console/:acc/settings/deploy-targets/:dt/edit': 'manage',
  'GET /console/:acc/settings/deploy-targets/:dt/delete': 'manage',
  'POST /console/:acc/settings/deploy-targets/:dt/delete': 'manage',
  'POST /console/:acc/settings/deploy-targets/:dt/deploy': 'deploy',
  'GET /console/:acc/settings/users': 'manage',
  'GET /console/:acc/settings/users/new': 'manage',
  'POST /console/:acc/settings/users': 'manage',
  'POST /console/:acc/settings/users/:id/role': 'manage',
  'GET /console/:acc/settings/users/:id/remove': 'manage',
  'POST /console/:acc/settings/users/:id/remove': 'manage',
};

/** Bodies for routes whose answer to an empty body would look like a refusal (a failed sign-in is 401). */
const BODIES: Record<string, unknown> = {
  'POST /auth/login': { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
  'POST /console/login': { email: ADMIN_EMAIL, password: ADMIN_PASSWORD },
};

interface Registered {
  method: string;
  url: string;
  declared: Permission | undefined;
}

/** Collects routes as they are registered; the permission is read after every onRoute hook ran. */
function routeCollector() {
  const seen: RouteOptions[] = [];
  return {
    onRoute: (route: RouteOptions) => {
      seen.push(route);
    },
    routes(): Registered[] {
      return seen.flatMap((route) =>
        [route.method].flat().map((method) => ({
          method: String(method),
          url: route.url,
          declared: route.config?.permission,
        })),
      );
    },
  };
}

const tableKey = ({ method, url }: Registered) => `${method === 'HEAD' ? 'GET' : method} ${url}`;

/** The resources a walk fills parameters with. */
interface Fixtures {
  restTarget: string;
  jsTarget: string;
  spareTarget: string;
  keyId: string;
  userId: string;
}

/** How each parameter is filled: a target of the kind the route needs, an existing key or user. */
function fillParam(name: string, url: string, permission: Permission, p: Principals, f: Fixtures): string {
  switch (name) {
    case 'acc':
      return p.accountId;
    case 'dt':
      return permission === 'runtime' ? f.restTarget : permission === 'script' ? f.jsTarget : f.spareTarget;
    case 'id':
      return url.includes('/users/') ? f.userId : f.keyId;
    case 'file':
      return 'f-tag1';
    case 'a':
      return 'a-example';
    case 'g':
      return 'g-example';
    case 'group':
      return 'plan';
    case 'code':
      return 'qa-unknown';
    case 'name':
      return 'console.js';
    case '*':
      return 'index.html';
    default:
      throw new Error(`no value for :${name} in ${url}: add it to fillParam`);
  }
}

function urlOf(route: Registered, permission: Permission, p: Principals, f: Fixtures): string {
  return route.url
    .replace(/:([A-Za-z]+)/g, (_, name: string) =>
      encodeURIComponent(fillParam(name, route.url, permission, p, f)),
    )
    .replace(/\*$/, fillParam('*', route.url, permission, p, f));
}

/**
 * Console pages answer in HTML: a missing credential on a page is a redirect to sign-in, and no
 * API key may drive the console, even one whose permission would allow what the page does.
 */
function consoleOutcome(expected: Outcome, permission: Permission, method: string, isKey: boolean): Outcome {
  if (expected.allowed) {
    return isKey && permission !== 'public'
      ? { allowed: false, status: [403], code: 'console_is_for_people' }
      : expected;
  }
  if (expected.status.includes(401) && method === 'GET') return { ...expected, status: [401, 303] };
  return expected;
}

let t: TestApp;
let principals: Principals;
let fixtures: Fixtures;
const collector = routeCollector();

before(async () => {
  t = await createTestApp({ onRoute: collector.onRoute });
  principals = await createPrincipals(t);
  const targets = await t.services.deployTargets.list(t.account.id);
  const spare = await t.services.deployTargets.create(t.account.id, {
    name: 'Spare',
    kind: 'rest',
    deployMode: 'manual',
  });
  const victim = await t.services.users.addMember(t.account.id, {
    email: 'walk-victim@example.com',
    password: 'correct-horse-battery',
    role: 'view-reports',
  });
  fixtures = {
    restTarget: targets.find((dt) => dt.isDefault)?.id ?? '',
    jsTarget: targets.find((dt) => dt.kind === 'js')?.id ?? '',
    spareTarget: spare.id,
    keyId: (await t.key('rest', { name: 'walk victim' })).id,
    userId: victim.id,
  };
});
after(() => t.close());

describe('every registered route', () => {
  test('is in the table of this test, with the permission the table gives it', () => {
    const routes = collector.routes();
    assert.ok(routes.length > 20, 'routes were collected');
    const missing = routes.filter((r) => !(tableKey(r) in ROUTES)).map(tableKey);
    assert.deepEqual(
      [...new Set(missing)],
      [],
      'registered routes missing from the table in test/permissions.test.ts: add each with its permission from spec section 4',
    );
    const wrong = routes
      .filter((r) => r.declared !== ROUTES[tableKey(r)])
      .map((r) => `${r.method} ${r.url} declares ${r.declared}, the spec says ${ROUTES[tableKey(r)]}`);
    assert.deepEqual(wrong, []);
  });

  test('answers every principal as spec section 4 says', async () => {
    const problems: string[] = [];
    for (const route of collector.routes()) {
      const permission = ROUTES[tableKey(route)];
      if (permission === undefined) continue; // reported by the test above
      const isConsole = route.url === '/console' || route.url.startsWith('/console/');
      const signsOut = route.url.endsWith('/logout');
      const attempt = async (c: Case) => {
        let expected = expectedOutcome(permission, route.method, c);
        if (expected === null) return;
        if (isConsole) expected = consoleOutcome(expected, permission, route.method, c.type === 'key');
        const res = await t.call({
          method: route.method as 'GET',
          url: urlOf(route, permission, principals, fixtures),
          as: await credentialFor(principals, permission, c),
          body:
            route.method === 'GET' || route.method === 'HEAD' ? undefined : (BODIES[tableKey(route)] ?? {}),
        });
        if (signsOut) principals.forgetSessions();
        const problem = judge(res, expected, {
          method: route.method,
          plainTextErrors: isConsole || permission === 'script',
        });
        if (problem) problems.push(`${route.method} ${route.url} as ${caseName(c)}: ${problem}`);
      };
      // The cases of one route run together (sign-in hashes run in parallel); a sign-out one by one,
      // since a session it ends must not be another case's.
      if (signsOut) for (const c of CASES) await attempt(c);
      else await Promise.all(CASES.map(attempt));
    }
    assert.deepEqual(problems, []);
  });
});

test('a route without a declared permission stops the server from starting', async () => {
  const { store, dispose } = await createTestStore();
  try {
    await assert.rejects(
      buildServer(createServices(store), {
        logLevel: 'silent',
        extend: (app) => {
          app.get('/undeclared', async () => ({ status: 200, data: 'open to all' }));
        },
      }),
      /declares no permission/,
    );
  } finally {
    await dispose();
  }
});
