/**
 * Limits shared through Redis: two servers on one store, each with its own Redis connection,
 * hold one key's rate limit and one person's sign-in throttle together (without Redis each
 * would allow the whole budget on its own); an unreachable Redis falls back to counting per
 * server without failing a request. Skips without Redis on 127.0.0.1:6379 unless
 * TESSERA_REQUIRE_REDIS=1 (CI).
 */
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { after, before, describe, test } from 'node:test';
import type { FastifyInstance } from 'fastify';
import { Redis } from 'ioredis';
import { createTestStore, type TestStore } from '../../test/helpers/store.js';
import { buildServer } from '../app/server.js';
import { createServices, type ServiceOptions, type Services } from '../app/services.js';
import { createRedisLimits, type SharedLimits } from './redis-limits.js';

const REDIS_URL = process.env.TESSERA_TEST_REDIS_URL ?? 'redis://127.0.0.1:6379';

async function redisAvailable(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, connectTimeout: 1_000, maxRetriesPerRequest: 0 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch (error) {
    if (process.env.TESSERA_REQUIRE_REDIS === '1') {
      throw new Error(
        `Redis is required (TESSERA_REQUIRE_REDIS=1) but ${REDIS_URL} does not answer: ${String(error)}`,
      );
    }
    return false;
  } finally {
    probe.disconnect();
  }
}

const available = await redisAvailable();
if (!available) console.log('# Redis is not reachable: the shared limits tests are skipped');

interface Server {
  services: Services;
  app: FastifyInstance;
}

describe('limits shared by two servers through Redis', { skip: !available }, () => {
  let ts: TestStore;
  const servers: Server[] = [];
  const limits: SharedLimits[] = [];
  let accountId: string;
  // Every run counts under its own prefix, so runs (and CI beside a developer) never meet.
  const prefix = `tessera-test-${randomBytes(4).toString('hex')}`;

  async function server(options: ServiceOptions): Promise<Server> {
    const services = createServices(ts.store, options);
    const app = await buildServer(services, { logLevel: 'silent' });
    const made = { services, app };
    servers.push(made);
    return made;
  }

  async function pair(shared: boolean): Promise<[Server, Server]> {
    const one = () => {
      if (!shared) return {};
      const l = createRedisLimits(REDIS_URL, { prefix });
      limits.push(l);
      return { keyRateLimiter: l.keyRateLimiter, loginThrottle: l.loginThrottle };
    };
    const before = limits.length;
    const made: [Server, Server] = [await server(one()), await server(one())];
    // Until its connection is ready a server counts alone (see redis-limits.ts): wait for it.
    for (const l of limits.slice(before)) if (l.redis.status !== 'ready') await once(l.redis, 'ready');
    return made;
  }

  before(async () => {
    ts = await createTestStore();
    const setup = createServices(ts.store);
    const first = await setup.bootstrap.run({ email: 'owner@example.com', password: 'owners-password' });
    assert.equal(first.kind, 'admin-created');
    if (first.kind === 'admin-created') accountId = first.account.id;
    await setup.keyUsage.close();
    await setup.events.close();
  });

  after(async () => {
    for (const { app, services } of servers) {
      await app.close();
      await services.keyUsage.close();
      await services.events.close();
    }
    for (const l of limits) {
      if (l.redis.status === 'ready') {
        const keys = await l.redis.keys(`${prefix}:*`);
        if (keys.length > 0) await l.redis.del(...keys);
      }
      await l.close();
    }
    await ts.dispose();
  });

  /** 20 runtime requests at once, alternating between the servers: how many got 200 and 429. */
  async function burst([a, b]: [Server, Server]): Promise<{
    ok: number;
    limited: number;
    retryAfter: string[];
  }> {
    const { secret } = await a.services.keys.createKey(
      accountId,
      { kind: 'rest', name: 'limited', rateLimit: { perSecond: 5 } },
      'owner@example.com',
    );
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 === 0 ? a : b).app.inject({
          method: 'POST',
          url: `/${accountId}/v3/agent-api`,
          headers: { authorization: `Bearer ${secret}` },
          payload: { commands: [] },
        }),
      ),
    );
    const limited = answers.filter((r) => r.statusCode === 429);
    return {
      ok: answers.filter((r) => r.statusCode === 200).length,
      limited: limited.length,
      retryAfter: limited.map((r) => String(r.headers['retry-after'])),
    };
  }

  test('a key limited to 5 requests a second gets 5 across both servers, not 5 on each', async () => {
    const shared = await burst(await pair(true));
    assert.deepEqual({ ok: shared.ok, limited: shared.limited }, { ok: 5, limited: 15 });
    assert.ok(
      shared.retryAfter.every((s) => s === '1'),
      'each 429 says when to retry',
    );
    // The same servers without Redis: each counts alone.
    const alone = await burst(await pair(false));
    assert.deepEqual({ ok: alone.ok, limited: alone.limited }, { ok: 10, limited: 10 });
  });

  test('failed sign-ins spread over both servers count together', async () => {
    const [a, b] = await pair(true);
    const email = `guessed-${randomBytes(3).toString('hex')}@example.com`;
    const attempt = (s: Server) =>
      s.app.inject({ method: 'POST', url: '/auth/login', payload: { email, password: 'not-the-password' } });
    for (let i = 0; i < 10; i++) assert.equal((await attempt(i % 2 === 0 ? a : b)).statusCode, 401);
    for (const s of [a, b]) {
      const refused = await attempt(s);
      assert.equal(refused.statusCode, 429, 'the eleventh guess is refused on either server');
      assert.ok(Number(refused.headers['retry-after']) > 0);
    }
  });

  test('with Redis unreachable, limits count per server and no request fails', async () => {
    const unreachable = createRedisLimits('redis://127.0.0.1:1', { prefix });
    limits.push(unreachable);
    const decisions = [];
    for (let i = 0; i < 8; i++) decisions.push(await unreachable.keyRateLimiter.consume('k-unreachable', 5));
    assert.deepEqual(
      decisions.map((d) => d.allowed),
      [true, true, true, true, true, false, false, false],
    );
    assert.equal(await unreachable.loginThrottle.attempt('someone@example.com', '127.0.0.1'), 0);
  });
});
