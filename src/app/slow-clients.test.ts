/**
 * A slow or stopped client cannot exhaust a server: a server on a real socket (short timeouts,
 * so the test is quick) cuts off clients that trickle their headers (slowloris), stop halfway
 * through a body, or say nothing at all, while it keeps answering everyone else; a body over the
 * limit is refused with 413 whether its length is announced or streamed.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { BODY_LIMIT_BYTES, buildServer, DEFAULT_CLIENT_TIMEOUTS } from './server.js';

const TIMEOUTS = { headersMs: 600, requestMs: 1_200, idleMs: 1_200, checkEveryMs: 100 };

let t: TestApp;
let port: number;

before(async () => {
  t = await createTestApp({ timeouts: TIMEOUTS });
  await t.app.listen({ port: 0, host: '127.0.0.1' });
  const address = t.app.server.address();
  port = typeof address === 'object' && address ? address.port : 0;
});
after(() => t.close());

/** Opens a socket; resolves with how long until the server closed it (ms). */
function openSocket(): { socket: Socket; closed: Promise<number> } {
  const started = performance.now();
  const socket = connect(port, '127.0.0.1');
  socket.on('error', () => {});
  socket.on('data', () => {});
  const closed = new Promise<number>((resolve) =>
    socket.once('close', () => resolve(performance.now() - started)),
  );
  return { socket, closed };
}

async function healthIn(): Promise<number> {
  const started = performance.now();
  const res = await fetch(`http://127.0.0.1:${port}/health`);
  assert.equal(res.status, 200);
  return performance.now() - started;
}

describe('slow and stopped clients', () => {
  test('the defaults bound every phase of a request', async () => {
    const app = await buildServer(t.services, { logLevel: 'silent' });
    try {
      assert.equal(app.server.headersTimeout, DEFAULT_CLIENT_TIMEOUTS.headersMs);
      assert.equal(app.server.requestTimeout, DEFAULT_CLIENT_TIMEOUTS.requestMs);
      assert.equal(app.server.timeout, DEFAULT_CLIENT_TIMEOUTS.idleMs);
      assert.ok(DEFAULT_CLIENT_TIMEOUTS.headersMs <= 10_000 && DEFAULT_CLIENT_TIMEOUTS.requestMs <= 30_000);
      assert.equal(app.initialConfig.bodyLimit, BODY_LIMIT_BYTES);
    } finally {
      await app.close();
    }
  });

  test('slowloris: 50 clients trickling headers are cut off, and everyone else is still answered', async () => {
    const sockets = Array.from({ length: 50 }, () => openSocket());
    const trickle = setInterval(() => {
      for (const { socket } of sockets) if (!socket.destroyed) socket.write(`x-slow-${Date.now()}: 1\r\n`);
    }, 100);
    try {
      for (const { socket } of sockets) socket.write('GET /health HTTP/1.1\r\nHost: localhost\r\n');
      await new Promise((resolve) => setTimeout(resolve, 200));
      assert.ok((await healthIn()) < 500, 'the server answers others while the slow clients hang on');
      const closedAfter = await Promise.all(sockets.map((s) => s.closed));
      const worst = Math.max(...closedAfter);
      assert.ok(
        worst < TIMEOUTS.headersMs + 1_000,
        `every slow client cut off (last after ${worst.toFixed(0)} ms)`,
      );
    } finally {
      clearInterval(trickle);
      for (const { socket } of sockets) socket.destroy();
    }
  });

  test('a client that stops halfway through its body is cut off', async () => {
    const { socket, closed } = openSocket();
    socket.write(
      `POST /health HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n{"a":`,
    );
    const after = await closed;
    assert.ok(after < TIMEOUTS.requestMs + 1_000, `cut off after ${after.toFixed(0)} ms`);
  });

  test('a client that connects and says nothing is cut off', async () => {
    const { closed } = openSocket();
    const after = await closed;
    assert.ok(after < TIMEOUTS.idleMs + 1_000, `cut off after ${after.toFixed(0)} ms`);
  });

  for (const how of ['announced', 'streamed'] as const) {
    test(`a body over the limit (${how}) gets 413 body_too_large`, async () => {
      const { secret } = await t.key('rest');
      const body = Buffer.alloc(BODY_LIMIT_BYTES * 2, 'a');
      const answer = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: `/${t.account.id}/v3/agent-api`,
            headers: {
              authorization: `Bearer ${secret}`,
              'content-type': 'application/json',
              ...(how === 'announced' ? { 'content-length': String(body.length) } : {}),
            },
          },
          (res) => {
            let text = '';
            res.on('data', (chunk) => {
              text += chunk;
            });
            res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
          },
        );
        req.on('error', reject);
        // Streamed in pieces: the server refuses once the limit is passed, not after the end.
        for (let i = 0; i < body.length; i += 64 * 1024) req.write(body.subarray(i, i + 64 * 1024));
        req.end();
      });
      assert.equal(answer.status, 413);
      assert.equal(JSON.parse(answer.body).code, 'body_too_large');
    });
  }
});
