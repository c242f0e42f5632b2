/**
 * Property-based: random bodies, headers, query strings and path parameters thrown at every
 * registered route, as a signed-in Account Admin, with keys, and with nothing. Whatever arrives,
 * the server never answers 5xx, every JSON error is `{status, err, code}`, and a 400 names its
 * field. Seeded and bounded (a few hundred requests) so it runs in seconds and fails the same way
 * every time; set FUZZ_SEED / FUZZ_RUNS to explore further.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { LightMyRequestResponse, RouteOptions } from 'fastify';
import { ADMIN_EMAIL, createTestApp, type TestApp } from './helpers/app.js';

const SEED = Number(process.env.FUZZ_SEED ?? 20_261_126);
const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

interface Route {
  method: string;
  url: string;
}

let t: TestApp;
let routes: Route[] = [];
let adminId: string;
let fill: Record<string, string>;
const keys: Record<string, string> = {};

before(async () => {
  const seen: RouteOptions[] = [];
  t = await createTestApp({ onRoute: (route) => void seen.push(route) });
  routes = seen.flatMap((route) =>
    [route.method].flat().map((method) => ({ method: String(method), url: route.url })),
  );
  adminId = (await t.services.users.findByEmail(ADMIN_EMAIL))?.id ?? '';
  for (const kind of ['rest', 'js', 'admin-read', 'admin-author'] as const)
    keys[kind] = (await t.key(kind)).secret;
  const targets = await t.services.deployTargets.list(t.account.id);
  fill = {
    acc: t.account.id,
    dt: targets[0].id,
    id: (await t.key('rest', { name: 'fuzzed' })).id,
    a: 'a-fuzz',
    g: 'g-fuzz',
    name: 'console.js',
    '*': 'index.html',
  };
});
after(() => t.close());

// ---- what is thrown ----------------------------------------------------------------------------

type Who = 'admin' | 'admin-no-csrf' | 'rest' | 'js' | 'admin-read' | 'admin-author' | 'nobody';
const who = fc.constantFrom<Who>(
  'admin',
  'admin',
  'admin-no-csrf',
  'rest',
  'js',
  'admin-read',
  'admin-author',
  'nobody',
);

/** Field names the routes read, so that random values often land where validation looks. */
const FIELDS = [
  'kind',
  'name',
  'deployTargets',
  'expiresAt',
  'email',
  'password',
  'role',
  'deployMode',
  'token',
  'commands',
  'inputs',
  'variations',
  'status',
  'value',
  'graceSeconds',
  'code',
  'goals',
  'conditions',
];

const hugeString = fc.integer({ min: 10_000, max: 1_200_000 }).map((n) => 'x'.repeat(n));
const deepNesting = fc
  .integer({ min: 50, max: 20_000 })
  .map((depth) => `${'['.repeat(depth)}${']'.repeat(depth)}`);
const wrongTypes = fc.oneof(
  fc.constant(null),
  fc.boolean(),
  fc.double(),
  fc.integer(),
  fc.string(),
  fc.array(fc.anything()),
  fc.object(),
  fc.constant(-0),
  fc.constant(Number.MAX_SAFE_INTEGER),
);

/** A body: [payload text or JSON value, content type]. */
const body: fc.Arbitrary<{ payload: unknown; contentType?: string }> = fc.oneof(
  { arbitrary: fc.jsonValue().map((payload) => ({ payload })), weight: 4 },
  {
    arbitrary: fc
      .dictionary(fc.constantFrom(...FIELDS), fc.oneof(wrongTypes, fc.jsonValue()), { maxKeys: 6 })
      .map((payload) => ({ payload })),
    weight: 6,
  },
  {
    arbitrary: hugeString.map((s) => ({ payload: JSON.stringify({ name: s, email: s, commands: s }) })),
    weight: 1,
  },
  { arbitrary: deepNesting.map((s) => ({ payload: s, contentType: 'application/json' })), weight: 1 },
  {
    arbitrary: fc
      .oneof(
        fc.string(),
        fc.constantFrom('{', '{"a":', '[1,]', '{"__proto__":{"x":1}}', 'null', '"', 'NaN', '\u0000'),
      )
      .map((payload) => ({ payload, contentType: 'application/json' })),
    weight: 2,
  },
  {
    arbitrary: fc.record({
      payload: fc.oneof(
        fc.string(),
        fc.jsonValue().map((v) => JSON.stringify(v)),
      ),
      contentType: fc.constantFrom(
        'text/plain',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'application/xml',
        'application/json; charset=utf-16',
        'application/octet-stream',
        'application/jso',
        '*/*',
        ';;;',
      ),
    }),
    weight: 2,
  },
);

const garbageHeaders = fc.record(
  {
    authorization: fc.oneof(
      fc.string(),
      fc.string().map((s) => `Bearer ${s}`),
      fc.constantFrom(
        'Bearer',
        'Bearer ',
        'Basic YWRtaW46YWRtaW4=',
        'bearer tess_rest_',
        'Bearer tess_rw_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA',
      ),
    ),
    cookie: fc.oneof(
      fc.string(),
      fc.string().map((s) => `tessera_session=${s}`),
      fc.constantFrom(
        'tessera_session=',
        'tessera_session=%E0%A4%A',
        'tessera_session="x',
        'a=b; tessera_session=1; tessera_session=2',
      ),
    ),
    'x-csrf-token': fc.string(),
    accept: fc.constantFrom('*/*', 'text/html', 'application/json', ''),
  },
  { requiredKeys: [] },
);

// Characters a URL may carry; `%` makes undecodable escapes likely.
const urlChar = fc.constantFrom(..."abcXYZ019-_.~%=&+;,:@!$'()*".split(''), '%zz', '%00', '%E0%A4%A', '%2F');
const rawQuery = fc.array(urlChar, { maxLength: 30 }).map((cs) => cs.join(''));
const structuredQuery = fc
  .dictionary(
    fc.constantFrom(
      'apikey',
      'session',
      'traits',
      'ua',
      'debug',
      'dt',
      'from',
      'to',
      'since',
      'actor',
      'target',
      'x',
    ),
    fc.oneof(
      fc.string(),
      fc.array(fc.string(), { maxLength: 3 }),
      hugeString.map((s) => s.slice(0, 20_000)),
    ),
    { maxKeys: 4 },
  )
  .map((q) =>
    Object.entries(q)
      .flatMap(([k, v]) => [v].flat().map((one) => `${k}=${encodeURIComponent(one)}`))
      .join('&'),
  );
const paramValue = fc.oneof(
  { arbitrary: fc.constant(undefined), weight: 3 },
  { arbitrary: fc.string({ maxLength: 100 }).map((s) => encodeURIComponent(s)), weight: 1 },
  { arbitrary: fc.array(urlChar, { minLength: 1, maxLength: 10 }).map((cs) => cs.join('')), weight: 1 },
);

// ---- how it is thrown and judged ---------------------------------------------------------------

async function credentials(as: Who): Promise<Record<string, string>> {
  if (as === 'nobody') return {};
  if (as === 'admin' || as === 'admin-no-csrf') {
    // a session of its own per request: a fuzzed sign-out must not end the next request's
    const session = await t.services.sessions.start(adminId);
    return {
      cookie: `tessera_session=${session.token}`,
      ...(as === 'admin' ? { 'x-csrf-token': session.csrfToken } : {}),
    };
  }
  return { authorization: `Bearer ${keys[as]}` };
}

function urlFor(route: Route, params: Array<string | undefined>, query: string): string {
  let i = 0;
  const path = route.url
    .replace(/:([A-Za-z]+)/g, (_, name: string) => params[i++] ?? encodeURIComponent(fill[name] ?? 'x'))
    .replace(/\*$/, () => params[i++] ?? fill['*']);
  return query ? `${path}?${query}` : path;
}

/** Console pages answer HTML and the script tag plain text, by design; everything else JSON. */
function answersJson(route: Route): boolean {
  return (
    !route.url.startsWith('/console') &&
    !route.url.includes('/v3/agent-api/js/') &&
    !route.url.includes('/v3/agent-api/bundle/')
  );
}

function check(route: Route, res: LightMyRequestResponse): void {
  const where = `${route.method} ${route.url} → ${res.statusCode} ${res.body.slice(0, 300)}`;
  assert.ok(res.statusCode < 500, where);
  if (res.statusCode < 400 || route.method === 'HEAD' || !answersJson(route)) return;
  assert.match(String(res.headers['content-type']), /^application\/json/, where);
  const error = res.json() as { status?: unknown; err?: unknown; code?: unknown; field?: unknown };
  assert.equal(error.status, res.statusCode, where);
  assert.equal(typeof error.err, 'string', where);
  assert.equal(typeof error.code, 'string', where);
  if (res.statusCode === 400) {
    assert.equal(typeof error.field, 'string', `a 400 names its field: ${where}`);
    assert.ok(String(error.err).includes(String(error.field)), `the message names the field: ${where}`);
  }
}

async function send(
  route: Route,
  url: string,
  headers: Record<string, string>,
  content?: { payload: unknown; contentType?: string },
): Promise<LightMyRequestResponse> {
  const withBody = content !== undefined && route.method !== 'GET' && route.method !== 'HEAD';
  return t.app.inject({
    method: route.method as 'GET',
    url,
    headers: {
      ...headers,
      ...(withBody && content.contentType ? { 'content-type': content.contentType } : {}),
    },
    ...(withBody
      ? { payload: typeof content.payload === 'string' ? content.payload : JSON.stringify(content.payload) }
      : {}),
  });
}

const route = () => fc.constantFrom(...routes);
const writeRoute = () => fc.constantFrom(...routes.filter((r) => !['GET', 'HEAD'].includes(r.method)));
const options = (n = RUNS) => ({ seed: SEED, numRuns: n, endOnFailure: true });

describe('fuzz: no input gets a 5xx, errors keep their shape', () => {
  test('random bodies and content types on every route that takes one', async () => {
    await fc.assert(
      fc.asyncProperty(writeRoute(), who, body, async (r, as, content) => {
        const headers = await credentials(as);
        if (!content.contentType && content.payload !== undefined)
          headers['content-type'] = 'application/json';
        check(r, await send(r, urlFor(r, [], ''), headers, content));
      }),
      options(),
    );
  });

  test('random Authorization, cookies and CSRF tokens on every route', async () => {
    await fc.assert(
      fc.asyncProperty(route(), who, garbageHeaders, async (r, as, garbage) => {
        const headers = { ...(await credentials(as)), ...garbage };
        check(r, await send(r, urlFor(r, [], ''), headers, { payload: {} }));
      }),
      options(),
    );
  });

  test('random query strings and path parameters on every route', async () => {
    await fc.assert(
      fc.asyncProperty(
        route(),
        who,
        fc.oneof(rawQuery, structuredQuery),
        fc.array(paramValue, { minLength: 3, maxLength: 3 }),
        async (r, as, query, params) => {
          const headers = await credentials(as);
          check(r, await send(r, urlFor(r, params, query), headers, { payload: {} }));
        },
      ),
      options(),
    );
  });

  test('the server still answers normally afterwards', async () => {
    const res = await t.call({
      url: `/admin/${t.account.id}/deploy-targets`,
      as: { key: keys['admin-read'] },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal((await t.call({ url: '/health' })).statusCode, 200);
  });
});
