/**
 * Every route of the JSON API declares the schema of its success answer, so the API description
 * (/openapi.json) documents answers as well as requests. The console's pages are not part of it,
 * nor are the few internal routes listed below by name.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { RouteOptions } from 'fastify';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { expectData } from '../../test/helpers/expect.js';

/** Internal routes, not part of the described API: the description itself, its viewer, metrics. */
const EXEMPT = [/^\/openapi\.json$/, /^\/docs(\/|$)/, /^\/metrics$/];
/** The console's server-rendered pages answer HTML, not the API's JSON; `/` redirects to them. */
const CONSOLE = /^\/(console(\/|$)|$)/;

interface Walked {
  route: string;
  statuses: string[];
}

function successStatuses(route: RouteOptions): string[] {
  const response = route.schema?.response;
  if (typeof response !== 'object' || response === null) return [];
  return Object.entries(response)
    .filter(([status, schema]) => /^2\d\d$/.test(status) && schema !== undefined && schema !== null)
    .map(([status]) => status);
}

describe('response schemas', () => {
  let t: TestApp;
  const walked: Walked[] = [];

  before(async () => {
    t = await createTestApp({
      onRoute: (route) => {
        if (CONSOLE.test(route.url) || EXEMPT.some((name) => name.test(route.url))) return;
        for (const method of [route.method].flat()) {
          // The answer to HEAD is its GET's without a body: the GET's schema describes it.
          if (method === 'HEAD') continue;
          walked.push({ route: `${method} ${route.url}`, statuses: successStatuses(route) });
        }
      },
    });
  });
  after(() => t.close());

  test('every API route declares a schema for its success answer', () => {
    // The walk saw the API's areas (so an empty walk cannot pass).
    for (const expected of [
      'GET /health',
      'POST /auth/login',
      'GET /v3/keys/self',
      'POST /:acc/v3/agent-api',
      'POST /:acc/v3/agent-api/js/:dt/events',
      'GET /admin/:acc/api-keys',
      'POST /admin/:acc/api-keys/:id/roll',
    ]) {
      assert.ok(
        walked.some((w) => w.route === expected),
        `${expected} was not seen`,
      );
    }
    const missing = walked.filter((w) => w.statuses.length === 0).map((w) => w.route);
    assert.deepEqual(missing, [], 'routes without a response schema for their success status');
  });

  test('routes that create answer 201 and declare it', () => {
    const creating = [
      'POST /admin/:acc/api-keys',
      'POST /admin/:acc/deploy-targets',
      'POST /admin/:acc/users',
      'POST /setup',
      'PUT /admin/:acc/agents/:a',
      'PUT /admin/:acc/goals/:g',
    ];
    for (const route of creating) {
      const found = walked.find((w) => w.route === route);
      assert.ok(found?.statuses.includes('201'), `${route} declares 201`);
    }
  });

  test('the API description documents answers', async () => {
    const res = await t.call({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const paths = res.json().paths;
    const keyList = paths['/admin/{acc}/api-keys'].get.responses['200'];
    const record = keyList.content['application/json'].schema.properties.data.items;
    assert.ok(record.properties.rotation && record.properties.usage, 'a key record is described');
    const runtime = paths['/{acc}/v3/agent-api'].post.responses['200'];
    assert.ok(runtime.content['application/json'].schema.properties.data.properties.items);
    const script = paths['/{acc}/v3/agent-api/js/{dt}'].get.responses['200'];
    assert.ok(script.content['application/javascript'], 'the script tag is described as JavaScript');
  });

  test('the runtime answer is sent as the runtime built it, not re-parsed by its schema', async () => {
    const { secret } = await t.key('rest');
    const answer = { session: 's-1', items: [], sels: {}, traits: [], later: 'a field added later' };
    const execute = t.services.runtime.execute;
    t.services.runtime.execute = async () => answer;
    try {
      const res = await t.call({
        method: 'POST',
        url: `/${t.account.id}/v3/agent-api?session=s-1`,
        as: { key: secret },
        body: { commands: [] },
      });
      assert.deepEqual(expectData(res), answer);
    } finally {
      t.services.runtime.execute = execute;
    }
  });
});
