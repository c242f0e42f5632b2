import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { test } from 'node:test';
import Fastify from 'fastify';
import { lazyRequestLogger, loggerOptions, redactUrl } from './log.js';

/** A server whose log lines are captured, with one route that logs at `info` and one at `warn`. */
async function serverLoggingAt(level: string) {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line) lines.push(JSON.parse(line));
      done();
    },
  });
  const app = Fastify({ logger: loggerOptions(level, stream), childLoggerFactory: lazyRequestLogger });
  let children = 0;
  const child = app.log.child.bind(app.log);
  app.log.child = (...args: Parameters<typeof child>) => {
    children++;
    return child(...args);
  };
  app.get('/quiet', async (request) => {
    request.log.info('an info line');
    return { ok: true };
  });
  app.get('/loud', async (request) => {
    request.log.warn({ apikey: 'tess_rest_secret' }, 'a warning');
    return { ok: true };
  });
  await app.ready();
  return { app, lines, children: () => children };
}

test('below the level, a request makes no child logger and writes nothing', async () => {
  const { app, lines, children } = await serverLoggingAt('warn');
  const response = await app.inject({ method: 'GET', url: '/quiet' });
  assert.equal(response.statusCode, 200);
  assert.equal(children(), 0);
  assert.deepEqual(lines, []);
  await app.close();
});

test('at the level, the line carries the request id and is redacted as before', async () => {
  const { app, lines, children } = await serverLoggingAt('warn');
  await app.inject({ method: 'GET', url: '/loud' });
  assert.equal(children(), 1);
  const warning = lines.find((line) => line.msg === 'a warning');
  assert.ok(warning, 'the warning is written');
  assert.equal(typeof warning.reqId, 'string');
  assert.equal(warning.apikey, '[redacted]');
  await app.close();
});

test('at info, Fastify request logging still writes both lines with one request id', async () => {
  const { app, lines } = await serverLoggingAt('info');
  await app.inject({ method: 'GET', url: '/quiet' });
  const own = lines.filter((line) => line.reqId !== undefined);
  assert.deepEqual(
    own.map((line) => line.msg),
    ['incoming request', 'an info line', 'request completed'],
  );
  assert.equal(new Set(own.map((line) => line.reqId)).size, 1);
  await app.close();
});

test('a key in a URL is redacted however it is spelled: parameter name or token percent-encoded, in the path', () => {
  const key = 'tess_rest_4f8Kq2ZyW1xJ0aB9cD7eF6gH5iJ3kL2mN1oP';
  const encoded = key.replaceAll('_', '%5F');
  const cases: [string, string][] = [
    [`/acc-1/v3/agent-api?apikey=${key}&session=s1`, '/acc-1/v3/agent-api?apikey=[redacted]&session=s1'],
    [`/acc-1/v3/agent-api?api%6Bey=${encoded}`, '/acc-1/v3/agent-api?api%6Bey=[redacted]'],
    [`/acc-1/v3/agent-api?APIKEY=x&session=s1`, '/acc-1/v3/agent-api?APIKEY=[redacted]&session=s1'],
    [`/acc-1/v3/agent-api?note=${encoded}&session=s1`, '/acc-1/v3/agent-api?note=[redacted]&session=s1'],
    [`/acc-1/v3/agent-api?note=see+${key}`, '/acc-1/v3/agent-api?note=[redacted]'],
    [`/v3/keys/${encoded}/self`, '/v3/keys/[redacted]/self'],
    [`/v3/keys/${key}#frag`, '/v3/keys/[redacted]'],
    ['/acc-1/v3/agent-api?session=s1&traits=F:1', '/acc-1/v3/agent-api?session=s1&traits=F:1'],
    ['/acc-1/v3/agent-api?session=%E0%A4%A', '/acc-1/v3/agent-api?session=%E0%A4%A'],
  ];
  for (const [url, expected] of cases) {
    assert.equal(redactUrl(url), expected, url);
    assert.ok(!redactUrl(url).includes('4f8Kq2ZyW1xJ0aB9cD7eF6gH5iJ3kL2mN1oP'));
  }
});
