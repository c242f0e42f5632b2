import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Kysely, SqliteDialect } from 'kysely';
import { createTestApp } from '../../test/helpers/app.js';
import { expectError } from '../../test/helpers/expect.js';
import { buildServer } from '../app/server.js';
import type { Database } from '../store/schema.js';

test('GET /health answers 503 when the store cannot be reached', async () => {
  const t = await createTestApp();
  // The same services over a store that cannot be opened, as a database that went away.
  const gone = new Kysely<Database>({
    dialect: new SqliteDialect({ database: () => Promise.reject(new Error('the database went away')) }),
  });
  const app = await buildServer(
    { ...t.services, store: { ...t.services.store, db: gone } },
    { logLevel: 'silent' },
  );
  try {
    const res = await app.inject({ url: '/health' });
    expectError(res, 503, 'store_unavailable');
    assert.equal(res.headers['retry-after'], '1');
    assert.equal((await t.call({ url: '/health' })).statusCode, 200, 'the healthy server still answers 200');
  } finally {
    await app.close();
    await t.close();
  }
});

test('an unknown route and an undecodable URL answer JSON errors', async () => {
  const t = await createTestApp();
  try {
    expectError(await t.call({ url: '/no/such/route' }), 404, 'route_not_found');
    expectError(await t.call({ method: 'DELETE', url: '/health' }), 404, 'route_not_found');
    expectError(await t.call({ url: `/admin/${t.account.id}/api-keys/%E0%A4%A` }), 400, 'invalid_url', 'url');
    // The refusal does not repeat the URL: its query may carry the caller's key.
    const key = 'tess_rest_000000000000000000000000000000000000';
    const bad = await t.call({ url: `/${t.account.id}/v3/agent-api/%ZZ?apikey=${key}` });
    expectError(bad, 400, 'invalid_url', 'url');
    assert.ok(!bad.body.includes(key), bad.body);
  } finally {
    await t.close();
  }
});
