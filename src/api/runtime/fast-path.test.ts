/**
 * The runtime's fast path answers as Fastify's route does. Two servers on stores of their own,
 * one with the fast path and one without, take the same requests (the same agents deployed, the
 * same sessions); every answer must match in status, headers and body, ids of the account, key
 * and target aside. Each case also says which way it went in: ordinary requests must have been
 * answered by the fast path (no Fastify hook saw them), unusual ones handed to the route.
 */
import assert from 'node:assert/strict';
import type { ServerResponse } from 'node:http';
import { connect } from 'node:net';
import { PassThrough } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import type { InjectOptions, LightMyRequestResponse } from 'fastify';
import { inject } from 'light-my-request';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { fakeSnapshots } from '../../../test/helpers/runtime.js';
import { jsonParsers } from '../../web/content-types.js';
import { createRequestIds, type LevelAware } from '../../web/log.js';
import { createRuntimeFastPath, Outbox } from './fast-path.js';

interface Side {
  t: TestApp;
  key: string;
  deletedKey: string;
  limitedKey: string;
  target: string;
  /** runtime requests Fastify's hooks saw */
  routed: number;
  log: PassThrough;
  lines: string[];
}

async function side(fastPath: boolean): Promise<Side> {
  const log = new PassThrough();
  const lines: string[] = [];
  log.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)));
  const s: Partial<Side> = { routed: 0, log, lines };
  const t = await createTestApp({
    services: { snapshots: fakeSnapshots() },
    runtimeFastPath: fastPath,
    logLevel: 'info',
    logStream: log,
    extend: (app) =>
      app.addHook('onResponse', (request, _reply, done) => {
        if (request.url.includes('/v3/agent-api')) (s as Side).routed++;
        done();
      }),
  });
  s.t = t;
  s.key = (await t.key('rest')).secret;
  const deleted = await t.key('rest');
  await t.services.keys.deleteKey(t.account.id, deleted.id, 'admin@example.com');
  s.deletedKey = deleted.secret;
  const limited = await t.services.keys.createKey(
    t.account.id,
    { kind: 'rest', name: 'limited', rateLimit: { perSecond: 1000 } },
    'admin@example.com',
  );
  s.limitedKey = limited.secret;
  const targets = await t.services.deployTargets.list(t.account.id);
  s.target = targets.find((d) => d.kind === 'rest' && d.isDefault)?.id as string;
  return s as Side;
}

let fast: Side;
let route: Side;

before(async () => {
  fast = await side(true);
  route = await side(false);
});
after(async () => {
  await fast.t.close();
  await route.t.close();
});

interface Case {
  name: string;
  /** the path after the account, and the query (the key is added unless `key` is null) */
  path?: string;
  query?: string;
  key?: 'key' | 'deletedKey' | 'limitedKey' | null;
  headers?: Record<string, string>;
  payload?: string | Buffer;
  /** which way the fast-path server took it (after a first request warmed its caches) */
  way: 'fast' | 'route';
}

const json = { 'content-type': 'application/json' };
const select = JSON.stringify({ commands: [{ a: 'a-example' }] });

const CASES: Case[] = [
  { name: 'a selection', query: 'session=s1', headers: json, payload: select, way: 'fast' },
  {
    name: 'the same selection again (sticky)',
    query: 'session=s1',
    headers: json,
    payload: select,
    way: 'fast',
  },
  {
    name: 'JSON sent as text/plain, charset named',
    query: 'session=s2',
    headers: { 'content-type': 'text/plain;charset=UTF-8' },
    payload: select,
    way: 'fast',
  },
  {
    name: 'a bare array of commands',
    query: 'session=s3',
    headers: json,
    payload: '[{"a":"a-example"}]',
    way: 'fast',
  },
  {
    name: 'an empty body labelled JSON',
    query: 'session=s4',
    headers: { ...json, 'content-length': '0' },
    payload: '',
    way: 'fast',
  },
  {
    name: 'a reward of the usual body (one goal, no value)',
    query: 'session=s3',
    headers: json,
    payload: '{"commands":[{"g":"g-example"}]}',
    way: 'fast',
  },
  {
    name: 'the usual selection written with an escape and spaces (parsed, not recognized)',
    query: 'session=s7',
    headers: json,
    payload: '{ "commands": [{"a": "a\\u002dexample"}] }',
    way: 'fast',
  },
  {
    name: 'a reward after a selection',
    query: 'session=s1',
    headers: json,
    payload: JSON.stringify({ commands: [{ g: 'g-example', v: 2 }] }),
    way: 'fast',
  },
  {
    name: 'inputs, traits, ua and the debug log',
    query: 'session=s5&traits=cust/plan:pro,F:1&ua=Mozilla%2F5.0%20(iPhone)&debug=true',
    headers: json,
    payload: JSON.stringify({ commands: [{ a: 'a-example' }], inputs: { page: 'home', n: 2, ok: true } }),
    way: 'fast',
  },
  {
    name: 'a session with placeholders',
    query: 'session=v-{ip}-{1d}',
    headers: json,
    payload: select,
    way: 'fast',
  },
  {
    name: 'the key in the Authorization header, the target in the path',
    path: '/TARGET',
    query: 'session=s6',
    key: null,
    headers: { ...json, authorization: 'Bearer KEY' },
    payload: select,
    way: 'fast',
  },
  { name: 'not JSON', query: 'session=e1', headers: json, payload: '{"commands": [', way: 'fast' },
  {
    name: 'a __proto__ key',
    query: 'session=e2',
    headers: json,
    payload: '{"commands":[{"a":"a-example","__proto__":{"x":1}}]}',
    way: 'fast',
  },
  {
    name: 'bytes that are not UTF-8',
    query: 'session=e3',
    headers: json,
    payload: Buffer.from([0x7b, 0x22, 0xff, 0x22, 0x3a, 0x31, 0x7d]),
    way: 'fast',
  },
  {
    name: 'a command the schema refuses',
    query: 'session=e4',
    headers: json,
    payload: JSON.stringify({ commands: [{ a: '' }] }),
    way: 'fast',
  },
  {
    name: 'more commands than allowed',
    query: 'session=e5',
    headers: json,
    payload: JSON.stringify({ commands: Array.from({ length: 101 }, () => ({ a: 'x' })) }),
    way: 'fast',
  },
  {
    name: 'a NUL in the body',
    query: 'session=e6',
    headers: json,
    payload: JSON.stringify({ commands: [{ a: 'a\u0000b' }] }),
    way: 'fast',
  },
  { name: 'an unknown placeholder', query: 'session=x-{zz}', headers: json, payload: select, way: 'fast' },
  {
    name: 'a session too long (the route refuses it)',
    query: `session=${'x'.repeat(2000)}`,
    headers: json,
    payload: select,
    way: 'route',
  },
  { name: 'a NUL in the query', query: 'session=a%00b', headers: json, payload: select, way: 'route' },
  {
    name: 'a deleted key',
    query: 'session=r1',
    key: 'deletedKey',
    headers: json,
    payload: select,
    way: 'route',
  },
  { name: 'no key', query: 'session=r2', key: null, headers: json, payload: select, way: 'route' },
  {
    name: 'a key with a rate limit',
    query: 'session=r3',
    key: 'limitedKey',
    headers: json,
    payload: select,
    way: 'route',
  },
  {
    name: 'an unknown deploy target',
    path: '/dt-unknown',
    query: 'session=r4',
    headers: json,
    payload: select,
    way: 'route',
  },
  {
    name: 'another content type',
    query: 'session=r5',
    headers: { 'content-type': 'application/xml' },
    payload: '<commands/>',
    way: 'route',
  },
  {
    name: 'a path with an escape',
    path: '/%64t',
    query: 'session=r6',
    headers: json,
    payload: select,
    way: 'route',
  },
];

function request(s: Side, c: Case): InjectOptions {
  const acc = s.t.account.id;
  const path = (c.path ?? '').replace('TARGET', s.target);
  const keyName = c.key === undefined ? 'key' : c.key;
  const key = keyName === null ? null : s[keyName];
  const query = [c.query, key === null ? undefined : `apikey=${encodeURIComponent(key)}`]
    .filter(Boolean)
    .join('&');
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(c.headers ?? {})) headers[name] = value.replace('KEY', s.key);
  return {
    method: 'POST',
    url: `/${acc}/v3/agent-api${path}?${query}`,
    headers,
    ...(c.payload === undefined ? {} : { payload: c.payload }),
  };
}

/** The answer with this server's ids replaced by names, and the headers that vary by moment dropped. */
function comparable(s: Side, res: LightMyRequestResponse) {
  const ids = (text: string) =>
    text.replaceAll(s.t.account.id, 'ACCOUNT').replaceAll(s.target, 'TARGET').replaceAll(s.key, 'KEY');
  const headers = { ...res.headers };
  delete headers.date;
  return { status: res.statusCode, headers, body: ids(res.body) };
}

describe('the fast path and the route answer alike', () => {
  test('warm-up: the first request of a key goes through the route and warms what the fast path reads', async () => {
    const before = fast.routed;
    const res = await fast.t.app.inject(request(fast, CASES[0]));
    await route.t.app.inject(request(route, CASES[0]));
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(fast.routed, before + 1);
  });

  for (const c of CASES) {
    test(`${c.name}: same answer, taken by the ${c.way === 'fast' ? 'fast path' : 'route'}`, async () => {
      const routedBefore = fast.routed;
      const a = await fast.t.app.inject(request(fast, c));
      const b = await route.t.app.inject(request(route, c));
      assert.deepEqual(comparable(fast, a), comparable(route, b));
      assert.equal(fast.routed - routedBefore, c.way === 'fast' ? 0 : 1, 'the way it went in');
    });
  }

  test('the request log has the same lines either way', async () => {
    fast.lines.length = 0;
    route.lines.length = 0;
    await fast.t.app.inject(request(fast, CASES[1]));
    await route.t.app.inject(request(route, CASES[1]));
    await new Promise((resolve) => setImmediate(resolve));
    const shape = (line: string) => {
      const { msg, level, req, res } = JSON.parse(line);
      return { msg, level, req: req && { ...req, url: req.url.replace(/\/acc-[^/]+\//, '/ACC/') }, res };
    };
    assert.deepEqual(fast.lines.map(shape), route.lines.map(shape));
    assert.ok(
      fast.lines.every((line) => !line.includes(fast.key)),
      'no key in the log',
    );
    const completed = JSON.parse(fast.lines.at(-1) as string);
    assert.equal(typeof completed.responseTime, 'number');
    assert.match(completed.reqId, /^req-[0-9a-z]+$/);
  });

  test('a fast-path answer is counted in the key usage and the metrics', async () => {
    const keyId = (await fast.t.services.keys.listKeys(fast.t.account.id)).find(
      (k) => k.name === 'rest key',
    )?.id;
    assert.ok(keyId);
    const usage = async () => (await fast.t.services.keyUsage.usageOf([keyId])).get(keyId);
    const before = await usage();
    await fast.t.app.inject(request(fast, CASES[1]));
    const after = await usage();
    assert.equal((after?.requests.lastDay ?? 0) - (before?.requests.lastDay ?? 0), 1);
    const metrics = await fast.t.app.inject({ method: 'GET', url: '/metrics' });
    assert.match(
      metrics.body,
      /tessera_http_requests_total\{method="POST",route="\/:acc\/v3\/agent-api",status="200"\} \d+/,
    );
  });
});

/** A fast path over the fast-path server's services with `verify` replaced, and a route that answers 503. */
function alone(peek: () => unknown) {
  const seen = { handedOn: 0, lookups: 0 };
  const verify = () => {
    seen.lookups++;
    return Promise.reject(new Error('the store is down'));
  };
  const services = { ...fast.t.services, keyVerifier: { ...fast.t.services.keyVerifier, peek, verify } };
  const path = createRuntimeFastPath(
    {
      services: services as typeof fast.t.services,
      metrics: { countRequest() {} },
      log: fast.t.app.log as LevelAware,
      parsers: jsonParsers(fast.t.app),
      trustProxy: false,
      requestId: createRequestIds(),
      isClosing: () => false,
    },
    (_req, res) => {
      seen.handedOn++;
      res.writeHead(503).end();
    },
  );
  return { path, seen };
}

/** Counted selections of a session on this side's store. */
async function selectionsOf(s: Side, session: string): Promise<number> {
  const rows = await s.t.services.store.db
    .selectFrom('selection_events')
    .select('session')
    .where('account_id', '=', s.t.account.id)
    .where('session', '=', session)
    .execute();
  return rows.length;
}

/**
 * Sends a runtime request on a socket of its own, writing `sent` of its body, and closes the
 * socket once the server has had time to read what was sent. Resolves when the socket is closed.
 */
async function leaveAfter(port: number, s: Side, session: string, sent: string): Promise<void> {
  const path = `/${s.t.account.id}/v3/agent-api?session=${session}&apikey=${encodeURIComponent(s.key)}`;
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', () => resolve()));
  socket.write(
    `POST ${path} HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n` +
      `Content-Length: ${Buffer.byteLength(select)}\r\n\r\n${sent}`,
  );
  await new Promise((resolve) => setTimeout(resolve, 100));
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.destroy();
  await closed;
  // The server hears of the close on a later turn of its loop.
  await new Promise((resolve) => setTimeout(resolve, 100));
}

describe('the fast path on its own', () => {
  test('a client that leaves halfway through its body: nothing is run, nothing fails, the next request is answered', async () => {
    await fast.t.app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = fast.t.app.server.address();
      const port = typeof address === 'object' && address ? address.port : 0;
      const routed = fast.routed;
      const lines = fast.lines.length;

      await leaveAfter(port, fast, 'left-midway', select.slice(0, 10));
      assert.equal(await selectionsOf(fast, 'left-midway'), 0, 'a request without its body runs nothing');
      // The whole body sent, the client gone before its answer: the request was complete, so it
      // is run and its selection counted; its answer finds no one, and that fails nothing.
      await leaveAfter(port, fast, 'left-before-answer', select);
      // Its commit may still be on its way on a slow host: waited for, up to five seconds.
      const deadline = Date.now() + 5_000;
      while ((await selectionsOf(fast, 'left-before-answer')) === 0 && Date.now() < deadline)
        await new Promise((resolve) => setTimeout(resolve, 20));
      assert.equal(await selectionsOf(fast, 'left-before-answer'), 1);

      const res = await fetch(
        `http://127.0.0.1:${port}${request(fast, { ...CASES[0], query: 'session=left-midway' }).url}`,
        {
          method: 'POST',
          headers: json,
          body: select,
        },
      );
      assert.equal(res.status, 200);
      assert.equal((await res.json()).data.sels['a-example'] !== undefined, true);
      assert.equal(await selectionsOf(fast, 'left-midway'), 1, 'the session is new to its next request');
      assert.equal(fast.routed, routed, 'all three were the fast path’s');
      const logged = fast.lines
        .slice(lines)
        .map((line) => JSON.parse(line) as { level: number; msg: string });
      assert.deepEqual(
        logged.filter((l) => l.level >= 40),
        [],
        'neither client that left is logged as a warning or an error',
      );
      assert.equal(logged.filter((l) => l.msg === 'request completed').length, 2, 'two were answered');
    } finally {
      // The side's other tests inject; the listener is this test's alone.
      await new Promise<void>((resolve) => fast.t.app.server.close(() => resolve()));
    }
  });

  test('a request it fails to read (a throw before the body) is handed to the route', async () => {
    const { path, seen } = alone(() => {
      throw new Error('unexpected');
    });
    const res = await inject(path, request(fast, CASES[0]));
    assert.equal(res.statusCode, 503);
    assert.equal(seen.handedOn, 1);
  });

  test('a key not verified in memory is handed to the route, and the fast path asks the store nothing', async () => {
    const { path, seen } = alone(() => undefined);
    const res = await inject(path, request(fast, CASES[0]));
    assert.equal(res.statusCode, 503);
    assert.equal(seen.handedOn, 1);
    assert.equal(seen.lookups, 0, 'the lookup, and its failure, are the route’s alone');
  });

  test('answers wait for the end of the turn, are written in order, and one that fails keeps no other', async () => {
    const written: string[] = [];
    const errors: unknown[] = [];
    const log = { error: (details: unknown) => errors.push(details) } as unknown as LevelAware;
    const outbox = new Outbox(log);
    const response = (name: string, fails = false) =>
      ({
        writeHead(status: number) {
          if (fails) throw new Error('the client is gone');
          written.push(`${name} ${status}`);
        },
        end(payload: string) {
          written.push(`${name} ${payload}`);
        },
      }) as unknown as ServerResponse;
    outbox.send(response('first'), 200, {}, 'one');
    outbox.send(response('second', true), 200, {}, 'two');
    outbox.send(response('third'), 503, {}, 'three');
    assert.deepEqual(written, [], 'nothing is written before the turn ends');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written, ['first 200', 'first one', 'third 503', 'third three']);
    assert.equal(errors.length, 1);
    outbox.send(response('later'), 200, {}, 'four');
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(written.slice(4), ['later 200', 'later four'], 'a later turn writes its own');
  });
});
