/**
 * No secret at rest, none in the logs: a server on a SQLite file, logging everything (trace), goes
 * through the key lifecycle and sign-in; then the database files (main file and WAL), every row of
 * every table, and the captured log are searched for each secret key, its random part, the
 * password and the session cookies. JS / On-Device keys are public by design (published in script
 * tags, stored so the console can show them again): they are the only tokens allowed to appear.
 */
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { sql } from 'kysely';
import { buildServer } from '../src/app/server.js';
import { createServices, type Services } from '../src/app/services.js';
import { generateToken, parseToken, TOKEN_PATTERN } from '../src/keys/token.js';
import { createTestStore, type TestStore, testDialect } from './helpers/store.js';

const EMAIL = 'owner@example.com';
const PASSWORD = 'unmistakable-Passw0rd-7f3a';

/** Everything the server was trusted with, and what it made. */
interface Trusted {
  secrets: Record<string, string>;
  cookies: string[];
}

/** Reads every row of every table as text, whatever the dialect. */
async function everyRow(services: Services): Promise<string> {
  // introspection lists every schema's tables; a test store on PostgreSQL has its own schema
  const { schema } = services.store;
  const tables = (await services.store.db.introspection.getTables()).filter(
    (t) => !schema || t.schema === schema,
  );
  const dumps: string[] = [];
  for (const table of tables) {
    const rows = await sql`select * from ${sql.table(table.name)}`.execute(services.store.db);
    dumps.push(`${table.name}: ${JSON.stringify(rows.rows)}`);
  }
  return dumps.join('\n');
}

/** Drives the key lifecycle and sign-in over HTTP, the way people and clients do. */
async function exercise(app: FastifyInstance, services: Services): Promise<Trusted> {
  const first = await services.bootstrap.run({ email: EMAIL, password: PASSWORD });
  if (first.kind !== 'admin-created') throw new Error('bootstrap did not create the admin');
  const acc = first.account.id;
  const cookies: string[] = [];

  async function signIn() {
    const res = await app.inject({
      method: 'POST',
      url: '/auth/login',
      payload: { email: EMAIL, password: PASSWORD },
    });
    assert.equal(res.statusCode, 200, res.body);
    const value = res.cookies.find((c) => c.name === 'tessera_session')?.value ?? '';
    cookies.push(value);
    return { cookie: `tessera_session=${value}`, csrf: res.json().data.csrfToken as string };
  }

  const session = await signIn();
  const asAdmin = { cookie: session.cookie, 'x-csrf-token': session.csrf };
  // a failed sign-in carries the password too
  await app.inject({
    method: 'POST',
    url: '/auth/login',
    payload: { email: EMAIL, password: `${PASSWORD}x` },
  });

  const secrets: Record<string, string> = {};
  const ids: Record<string, string> = {};
  for (const kind of ['rest', 'js', 'admin-read', 'admin-author']) {
    const res = await app.inject({
      method: 'POST',
      url: `/admin/${acc}/api-keys`,
      headers: asAdmin,
      payload: { kind, name: `${kind} key` },
    });
    assert.equal(res.statusCode, 201, res.body);
    secrets[kind] = res.json().data.secret;
    ids[kind] = res.json().data.id;
  }

  const dt = (await services.deployTargets.list(acc)).find((target) => target.kind === 'js')?.id ?? '';
  for (const secret of Object.values(secrets)) {
    const mistyped = `${secret.slice(0, -3)}${secret.at(-3) === 'A' ? 'B' : 'A'}${secret.slice(-2)}`;
    for (const token of [secret, mistyped]) {
      const urls = [
        '/v3/keys/self',
        `/admin/${acc}/deploy-targets`,
        `/${acc}/v3/agent-api`,
        `/${acc}/v3/agent-api/js/${dt}`,
        `/admin/${acc}/api-keys`,
      ];
      for (const url of urls) {
        await app.inject({ url, headers: { authorization: `Bearer ${token}` } });
        await app.inject({ url, headers: { 'x-conductrics-apikey': token } });
        await app.inject({ url: `${url}?apikey=${token}&session=s1` });
        await app.inject({
          method: 'POST',
          url: `${url}?apikey=${encodeURIComponent(token)}`,
          payload: { commands: [] },
        });
        // The same key to the server, spelled otherwise: parameter name and token percent-encoded.
        const spelledOut = token.replaceAll('_', '%5F');
        await app.inject({ url: `${url}?api%6Bey=${spelledOut}&session=s1` });
        await app.inject({ url: `${url}?q=${spelledOut}` });
      }
      await app.inject({ url: `/v3/keys/${token.replaceAll('_', '%5F')}` });
    }
    // a key pasted where a person's cookie goes, and as a CSRF token
    await app.inject({
      url: '/auth/me',
      headers: { cookie: `tessera_session=${secret}`, 'x-csrf-token': secret },
    });
  }

  const me = await app.inject({ url: '/auth/me', headers: { cookie: session.cookie } });
  assert.equal(me.statusCode, 200);
  const removed = await app.inject({
    method: 'DELETE',
    // The key was just used: the deletion names it as confirmation.
    url: `/admin/${acc}/api-keys/${ids.rest}?confirm=${encodeURIComponent('rest key')}`,
    headers: asAdmin,
  });
  assert.equal(removed.statusCode, 200);
  await app.inject({ url: '/v3/keys/self', headers: { authorization: `Bearer ${secrets.rest}` } });
  await app.inject({ method: 'POST', url: '/auth/logout', headers: asAdmin });
  const again = await signIn();
  await app.inject({ url: '/auth/me', headers: { cookie: again.cookie } });
  return { secrets, cookies };
}

/** Fails with where a needle was found, without printing the needle itself. */
function assertAbsent(haystack: string, needle: string, what: string, where: string): void {
  assert.ok(needle.length >= 10, `${what} is long enough to search for`);
  assert.ok(!haystack.includes(needle), `${what} appears in ${where}`);
}

function assertNoSecrets(haystack: string, trusted: Trusted, where: string): void {
  for (const [kind, secret] of Object.entries(trusted.secrets)) {
    if (kind === 'js') continue;
    assertAbsent(haystack, secret, `the ${kind} secret`, where);
    // the random part alone (a log that mangled the prefix, or a mistyped copy of the key)
    assertAbsent(
      haystack,
      secret.slice(secret.indexOf('_', 5) + 1, -6),
      `the random part of the ${kind} secret`,
      where,
    );
  }
  assertAbsent(haystack, PASSWORD, 'the password', where);
  for (const cookie of trusted.cookies) assertAbsent(haystack, cookie, 'a session cookie', where);
  const tokens = haystack.match(TOKEN_PATTERN) ?? [];
  for (const token of tokens) {
    assert.equal(
      parseToken(token) === null ? 'js' : parseToken(token),
      'js',
      `a non-JS token appears in ${where}`,
    );
  }
}

describe('no secret in the database or the logs', () => {
  let dir: string;
  let store: TestStore;
  let app: FastifyInstance;
  let services: Services;
  let trusted: Trusted;
  const log: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'tessera-secrets-'));
    store = await createTestStore('sqlite', join(dir, 't.db'));
    services = createServices(store.store);
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        log.push(String(chunk));
        done();
      },
    });
    app = await buildServer(services, { logLevel: 'trace', logStream });
    trusted = await exercise(app, services);
  });
  after(async () => {
    await app.close();
    await store.dispose();
    rmSync(dir, { recursive: true, force: true });
  });

  test('the log saw every request, with keys redacted', () => {
    const text = log.join('');
    assert.ok(log.length > 100, 'the logger captured the requests');
    assert.match(text, /apikey=\[redacted\]/);
    assertNoSecrets(text, trusted, 'the log');
  });

  test('the database file and its WAL hold no secret, only hashes', async () => {
    const files = ['t.db', 't.db-wal', 't.db-shm']
      .map((name) => join(dir, name))
      .filter((path) => existsSync(path));
    assert.ok(files.length >= 2, 'the store writes a file and a WAL');
    for (const path of files) {
      const bytes = readFileSync(path).toString('latin1');
      assertNoSecrets(bytes, trusted, path);
    }
    const rows = await everyRow(services);
    assertNoSecrets(rows, trusted, 'the rows of the database');
    // the JS key is the one token kept, on purpose
    assert.ok(rows.includes(trusted.secrets.js), 'the JS key is stored so the console can show it again');
  });

  test('after a checkpoint, the main file holds no secret either', async () => {
    await sql`pragma wal_checkpoint(TRUNCATE)`.execute(services.store.db);
    const bytes = readFileSync(join(dir, 't.db')).toString('latin1');
    assertNoSecrets(bytes, trusted, 't.db after checkpoint');
    assert.ok(bytes.includes(trusted.secrets.js), 'the file was really searched');
  });
});

describe('no secret in the log of a request the HTTP parser refuses', () => {
  test('headers too large, or malformed: answered in the API error shape, logged without the raw request', async () => {
    const store = await createTestStore('sqlite');
    const log: string[] = [];
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        log.push(String(chunk));
        done();
      },
    });
    const app = await buildServer(createServices(store.store), { logLevel: 'trace', logStream });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const address = app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const key = generateToken('rest');
      const raw = async (request: string) => {
        const socket = connect(port, '127.0.0.1');
        const chunks: Buffer[] = [];
        socket.on('data', (chunk) => chunks.push(chunk));
        socket.write(request);
        await once(socket, 'close');
        const text = Buffer.concat(chunks).toString('utf8');
        return {
          head: text.slice(0, text.indexOf('\r\n')),
          body: JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)),
        };
      };
      const big = await raw(
        `GET /v3/keys/self HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nX-Big: ${'a'.repeat(20_000)}\r\n\r\n`,
      );
      assert.equal(big.head, 'HTTP/1.1 431 Request Header Fields Too Large');
      assert.deepEqual(Object.keys(big.body).sort(), ['code', 'err', 'status']);
      assert.equal(big.body.status, 431);
      assert.equal(big.body.code, 'headers_too_large');
      const malformed = await raw(
        `GET /v3/keys/self HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer ${key}\r\nBroken header line\r\n\r\n`,
      );
      assert.equal(malformed.head, 'HTTP/1.1 400 Bad Request');
      assert.deepEqual(malformed.body, {
        status: 400,
        err: 'The request is not well-formed HTTP',
        code: 'malformed_request',
      });
      const text = log.join('');
      assert.match(text, /request refused by the HTTP parser/, 'the refusals were logged');
      assertAbsent(text, key.slice(key.indexOf('_', 5) + 1), 'the key of a refused request', 'the log');
    } finally {
      await app.close();
      await store.dispose();
    }
  });
});

describe('no secret in the rows of PostgreSQL', {
  skip: testDialect !== 'postgres' && 'runs with TESSERA_TEST_DATABASE=postgres',
}, () => {
  test('every row of every table, and the log', async () => {
    const store = await createTestStore('postgres');
    const services = createServices(store.store);
    const log: string[] = [];
    const logStream = new Writable({
      write(chunk, _encoding, done) {
        log.push(String(chunk));
        done();
      },
    });
    const app = await buildServer(services, { logLevel: 'trace', logStream });
    try {
      const trusted = await exercise(app, services);
      const rows = await everyRow(services);
      assertNoSecrets(rows, trusted, 'the rows of the database');
      assert.ok(rows.includes(trusted.secrets.js), 'the rows were really searched');
      assertNoSecrets(log.join(''), trusted, 'the log');
    } finally {
      await app.close();
      await store.dispose();
    }
  });
});
