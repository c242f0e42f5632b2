import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { ADMIN_EMAIL, createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectData, expectError } from '../../../test/helpers/expect.js';

interface KeyRecord {
  lastUsedAt?: string | null;
  lastUsed?: unknown;
  usage?: unknown;
  id: string;
  kind: string;
  name: string;
  deployTargets: string[];
  createdAt: string;
  createdBy: string;
  masked: string;
  expiresAt: string | null;
  token?: string | null;
  secret?: string;
  deletedAt?: string;
}

const SHAPES: Record<string, RegExp> = {
  rest: /^tess_rest_[0-9A-Za-z]{36}$/,
  js: /^tess_js_[0-9A-Za-z]{36}$/,
  'admin-read': /^tess_ro_[0-9A-Za-z]{36}$/,
  'admin-author': /^tess_rw_[0-9A-Za-z]{36}$/,
};

let t: TestApp;
let keysUrl: string;
let restTarget: string;
let jsTarget: string;

before(async () => {
  t = await createTestApp();
  keysUrl = `/admin/${t.account.id}/api-keys`;
  const targets = expectData<Array<{ code: string; kind: string }>>(
    await t.call({ url: `/admin/${t.account.id}/deploy-targets`, as: { session: t.admin } }),
  );
  restTarget = targets.find((dt) => dt.kind === 'rest')?.code ?? '';
  jsTarget = targets.find((dt) => dt.kind === 'js')?.code ?? '';
});
after(() => t.close());

async function create(body: Record<string, unknown>): Promise<KeyRecord> {
  const res = await t.call({ method: 'POST', url: keysUrl, as: { session: t.admin }, body });
  assert.equal(res.headers['cache-control'], 'no-store', 'the one answer with a secret is not cached');
  return expectData<KeyRecord>(res, 201);
}

describe('API keys: the lifecycle an Account Admin sees', () => {
  const made: KeyRecord[] = [];

  test('creates each of the four kinds; the secret is in the create answer', async () => {
    for (const kind of ['rest', 'js', 'admin-read', 'admin-author']) {
      const before = Date.now();
      const key = await create({ kind, name: `My ${kind} key` });
      assert.match(key.id, /^key-/);
      assert.equal(key.kind, kind);
      assert.equal(key.name, `My ${kind} key`);
      assert.deepEqual(key.deployTargets, []);
      assert.equal(key.createdBy, ADMIN_EMAIL);
      assert.ok(Date.parse(key.createdAt) >= before - 1000 && Date.parse(key.createdAt) <= Date.now());
      assert.equal(key.expiresAt, null);
      assert.match(key.secret ?? '', SHAPES[kind]);
      const secret = key.secret ?? '';
      assert.equal(key.masked, `${secret.slice(0, secret.length - 32)}…${secret.slice(-4)}`);
      made.push(key);
    }
  });

  test('a new key works on the very next request', async () => {
    const [rest, js, read, author] = made;
    for (const key of [read, author]) {
      const res = await t.call({
        url: `/admin/${t.account.id}/deploy-targets`,
        as: { key: key.secret ?? '' },
      });
      assert.equal(res.statusCode, 200, res.body);
    }
    for (const key of [rest, js]) {
      const verified = await t.services.keyVerifier.verify(key.secret ?? '');
      assert.ok(verified.ok && verified.key.id === key.id);
    }
  });

  test('the list shows every key without its secret; a JS key, public by design, shows its token', async () => {
    const res = await t.call({ url: keysUrl, as: { session: t.admin } });
    const list = expectData<KeyRecord[]>(res);
    assert.deepEqual(
      list.map((k) => k.id),
      made.map((k) => k.id),
    );
    for (const key of list) assert.equal(key.secret, undefined);
    for (const key of made.filter((k) => k.kind !== 'js')) {
      assert.ok(!res.body.includes(key.secret ?? ''), `the list must not contain the ${key.kind} secret`);
    }
    const js = list.find((k) => k.kind === 'js');
    assert.equal(js?.token, made[1].secret);
    assert.ok(list.filter((k) => k.kind !== 'js').every((k) => !('token' in k)));
  });

  test('one key reads back without its secret', async () => {
    for (const key of made) {
      const res = await t.call({ url: `${keysUrl}/${key.id}`, as: { session: t.admin } });
      // Usage moves with every request (the admin keys were just used): compared apart.
      const withoutUsage = ({ secret: _, lastUsedAt: _a, lastUsed: _l, usage: _u, ...rest }: KeyRecord) =>
        rest;
      assert.deepEqual(withoutUsage(expectData<KeyRecord>(res)), withoutUsage(key));
      if (key.kind !== 'js') assert.ok(!res.body.includes(key.secret ?? ''));
    }
  });

  test('a REST key is associated with REST targets; the change applies on the next request', async () => {
    const staging = expectData<{ code: string }>(
      await t.call({
        method: 'POST',
        url: `/admin/${t.account.id}/deploy-targets`,
        as: { session: t.admin },
        body: { name: 'Staging', kind: 'rest', deployMode: 'manual' },
      }),
      201,
    );
    const rest = made[0];
    const edited = expectData<KeyRecord>(
      await t.call({
        method: 'PATCH',
        url: `${keysUrl}/${rest.id}`,
        as: { session: t.admin },
        body: { name: 'Server (staging)', deployTargets: [staging.code, restTarget, staging.code] },
      }),
    );
    assert.equal(edited.name, 'Server (staging)');
    assert.deepEqual(edited.deployTargets, [staging.code, restTarget].sort());
    assert.equal(edited.kind, 'rest');
    const verified = await t.services.keyVerifier.verify(rest.secret ?? '');
    assert.ok(verified.ok);
    assert.deepEqual(verified.key.deployTargets, [staging.code, restTarget].sort());

    // none associated again means every REST target
    const cleared = expectData<KeyRecord>(
      await t.call({
        method: 'PATCH',
        url: `${keysUrl}/${rest.id}`,
        as: { session: t.admin },
        body: { deployTargets: [] },
      }),
    );
    assert.deepEqual(cleared.deployTargets, []);
    assert.equal(cleared.name, 'Server (staging)', 'a field not sent is kept');
  });

  test('a JS key is associated with JS targets at creation', async () => {
    const key = await create({ kind: 'js', name: 'Web only', deployTargets: [jsTarget] });
    assert.deepEqual(key.deployTargets, [jsTarget]);
  });

  test('an expiry is set on create and changed or removed by PATCH', async () => {
    const in1h = new Date(Date.now() + 3_600_000).toISOString();
    const key = await create({ kind: 'admin-read', name: 'Temporary', expiresAt: in1h });
    assert.equal(key.expiresAt, in1h);
    const in2h = new Date(Date.now() + 7_200_000).toISOString();
    const url = `${keysUrl}/${key.id}`;
    const moved = expectData<KeyRecord>(
      await t.call({ method: 'PATCH', url, as: { session: t.admin }, body: { expiresAt: in2h } }),
    );
    assert.equal(moved.expiresAt, in2h);
    const open = expectData<KeyRecord>(
      await t.call({ method: 'PATCH', url, as: { session: t.admin }, body: { expiresAt: null } }),
    );
    assert.equal(open.expiresAt, null);
  });

  test('editing never changes the kind nor the secret: asking to is a 400 naming the field', async () => {
    const key = await create({ kind: 'admin-read', name: 'Reader' });
    const patch = (body: Record<string, unknown>) =>
      t.call({ method: 'PATCH', url: `${keysUrl}/${key.id}`, as: { session: t.admin }, body });
    expectError(await patch({ kind: 'admin-author', name: 'Writer?' }), 400, 'invalid_input', 'body.kind');
    expectError(
      await patch({ secret: 'tess_rw_x', name: 'New secret?' }),
      400,
      'invalid_input',
      'body.secret',
    );
    // The kind it already has is accepted, so a record read back can be sent again.
    const edited = expectData<KeyRecord>(await patch({ kind: 'admin-read', name: 'Still a reader' }));
    assert.equal(edited.kind, 'admin-read');
    assert.equal(edited.name, 'Still a reader');
    assert.equal(edited.secret, undefined);
    assert.equal(edited.masked, key.masked);
    const verified = await t.services.keyVerifier.verify(key.secret ?? '');
    assert.ok(
      verified.ok && verified.key.kind === 'admin-read' && verified.key.name === 'Still a reader',
      'the old secret still works, as a read-only key, and the refused edits changed nothing',
    );
  });

  test('two edits of one key at the same moment both hold: neither writes back what it read before the other', async () => {
    const key = await create({ kind: 'rest', name: 'Edited twice' });
    for (let round = 0; round < 5; round++) {
      const expiresAt = new Date(Date.now() + (round + 1) * 86_400_000).toISOString();
      const [a, b] = await Promise.all([
        t.call({
          method: 'PATCH',
          url: `${keysUrl}/${key.id}`,
          as: { session: t.admin },
          body: { deployTargets: [restTarget], expiresAt },
        }),
        t.call({
          method: 'PATCH',
          url: `${keysUrl}/${key.id}`,
          as: { session: t.admin },
          body: { name: `Edited twice, round ${round}` },
        }),
      ]);
      expectData(a);
      expectData(b);
      const now = expectData<KeyRecord>(
        await t.call({ url: `${keysUrl}/${key.id}`, as: { session: t.admin } }),
      );
      assert.equal(now.name, `Edited twice, round ${round}`);
      assert.deepEqual(now.deployTargets, [restTarget], 'the restriction to one target held');
      assert.equal(now.expiresAt, expiresAt, 'the expiry held');
      // Back to no restriction, for the next round to set it again.
      expectData(
        await t.call({
          method: 'PATCH',
          url: `${keysUrl}/${key.id}`,
          as: { session: t.admin },
          body: { deployTargets: [], expiresAt: null },
        }),
      );
    }
  });

  test('deleting a key refuses it on the very next request, for good', async () => {
    const key = await create({ kind: 'admin-author', name: 'Doomed' });
    const targetsUrl = `/admin/${t.account.id}/deploy-targets`;
    // used once, so the key is in the verification cache (and its deletion needs its name)
    assert.equal((await t.call({ url: targetsUrl, as: { key: key.secret ?? '' } })).statusCode, 200);
    const removed = expectData<KeyRecord>(
      await t.call({
        method: 'DELETE',
        url: `${keysUrl}/${key.id}?confirm=Doomed`,
        as: { session: t.admin },
      }),
    );
    assert.equal(removed.id, key.id);
    assert.ok(removed.deletedAt && Date.parse(removed.deletedAt) <= Date.now());
    for (const via of ['header', 'query'] as const) {
      expectError(await t.call({ url: targetsUrl, as: { key: key.secret ?? '', via } }), 403, 'key_deleted');
    }
    const list = expectData<KeyRecord[]>(await t.call({ url: keysUrl, as: { session: t.admin } }));
    assert.ok(!list.some((k) => k.id === key.id));
    expectError(
      await t.call({ url: `${keysUrl}/${key.id}`, as: { session: t.admin } }),
      404,
      'api_key_not_found',
    );
  });

  test('a deleted JS key is no longer shown, and is refused', async () => {
    const key = await create({ kind: 'js', name: 'Old site' });
    const removed = expectData<KeyRecord>(
      await t.call({ method: 'DELETE', url: `${keysUrl}/${key.id}`, as: { session: t.admin } }),
    );
    assert.equal(removed.token ?? null, null);
    const verified = await t.services.keyVerifier.verify(key.secret ?? '');
    assert.deepEqual(verified, { ok: false, code: 'key_deleted' });
  });
});

describe('API keys: allowed origins of a JS key', () => {
  test('set on create, normalized, shown in the record, changed and cleared by PATCH', async () => {
    const created = expectData<KeyRecord & { allowedOrigins: string[] }>(
      await t.call({
        method: 'POST',
        url: keysUrl,
        as: { session: t.admin },
        body: {
          kind: 'js',
          name: 'shop pages',
          allowedOrigins: ['https://Shop.Example.com/', 'http://localhost:3000', 'https://shop.example.com'],
        },
      }),
      201,
    );
    assert.deepEqual(created.allowedOrigins, ['https://shop.example.com', 'http://localhost:3000']);
    const url = `${keysUrl}/${created.id}`;
    const read = expectData<{ allowedOrigins: string[] }>(await t.call({ url, as: { session: t.admin } }));
    assert.deepEqual(read.allowedOrigins, created.allowedOrigins);

    const patched = expectData<{ allowedOrigins: string[]; name: string }>(
      await t.call({
        method: 'PATCH',
        url,
        as: { session: t.admin },
        body: { allowedOrigins: ['https://www.example.com'] },
      }),
    );
    assert.deepEqual(patched.allowedOrigins, ['https://www.example.com']);
    assert.equal(patched.name, 'shop pages', 'a PATCH of the origins leaves the rest as it was');

    const renamed = expectData<{ allowedOrigins: string[] }>(
      await t.call({ method: 'PATCH', url, as: { session: t.admin }, body: { name: 'renamed' } }),
    );
    assert.deepEqual(renamed.allowedOrigins, ['https://www.example.com'], 'kept when not given');

    for (const clear of [[], null]) {
      await t.call({
        method: 'PATCH',
        url,
        as: { session: t.admin },
        body: { allowedOrigins: ['https://a.example'] },
      });
      const cleared = expectData<{ allowedOrigins: string[] }>(
        await t.call({ method: 'PATCH', url, as: { session: t.admin }, body: { allowedOrigins: clear } }),
      );
      assert.deepEqual(cleared.allowedOrigins, [], `${JSON.stringify(clear)} allows every origin again`);
    }
  });

  test('a JS key without origins allows any: its record says so with an empty list', async () => {
    const created = expectData<{ allowedOrigins: string[] }>(
      await t.call({
        method: 'POST',
        url: keysUrl,
        as: { session: t.admin },
        body: { kind: 'js', name: 'any' },
      }),
      201,
    );
    assert.deepEqual(created.allowedOrigins, []);
  });
});
