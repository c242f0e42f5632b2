import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

describe('health, metrics and the API description', () => {
  test('GET /health answers 200 {"status":200,"data":{"ok":true}} when the store answers', async () => {
    const res = await t.call({ url: '/health' });
    assert.equal(res.statusCode, 200);
    assert.deepEqual(res.json(), { status: 200, data: { ok: true } });
  });

  test('GET /metrics serves Prometheus text: requests by route and status, refusals by reason, cache sizes', async () => {
    await t.call({ url: `/admin/${t.account.id}/deploy-targets` }); // refused: credential_missing
    const key = await t.key('admin-read');
    await t.call({ url: `/admin/${t.account.id}/deploy-targets`, as: { key: key.secret } });
    const rest = await t.key('rest');
    await t.call({
      method: 'POST',
      url: `/${t.account.id}/v3/agent-api`,
      as: { key: rest.secret },
      body: [],
    });
    const res = await t.call({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^text\/plain/);
    assert.match(
      res.body,
      /tessera_http_requests_total\{method="GET",route="\/admin\/:acc\/deploy-targets",status="200"\} 1/,
    );
    assert.match(res.body, /tessera_refused_credentials_total\{code="credential_missing"\} 1/);
    assert.match(res.body, /tessera_key_cache_entries 2/);
    assert.match(res.body, /tessera_key_negative_cache_entries 0/);
    // the default REST target's snapshot, read by the runtime request
    assert.match(res.body, /tessera_snapshot_cache_targets 1/);
    assert.ok(Number(/tessera_snapshot_cache_bytes (\d+)/.exec(res.body)?.[1]) > 0);
    // the process's own memory, for watching a server under sustained load
    assert.match(res.body, /process_resident_memory_bytes \d+/);
    assert.match(res.body, /nodejs_heap_size_used_bytes \d+/);
    assert.ok(!res.body.includes(key.secret));
  });

  test('GET /openapi.json describes the routes; /docs is the readable reference', async () => {
    const res = await t.call({ url: '/openapi.json' });
    assert.equal(res.statusCode, 200);
    const doc = res.json() as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.match(doc.openapi, /^3\./);
    for (const path of [
      '/admin/{acc}/api-keys',
      '/admin/{acc}/api-keys/{id}',
      '/admin/{acc}/deploy-targets',
      '/auth/login',
    ]) {
      assert.ok(doc.paths[path], `documents ${path}`);
    }
    assert.ok(doc.paths['/admin/{acc}/api-keys'].post);
    const docs = await t.call({ url: '/docs' });
    assert.ok(docs.statusCode === 200 || docs.statusCode === 302, String(docs.statusCode));
  });
});
