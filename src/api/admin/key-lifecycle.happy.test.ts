/**
 * The key lifecycle over the JSON API (issue 6): usage, rotation, expiry, rate limits and the
 * delete confirmation. The server runs on a clock the tests move, so grace periods, expiry and
 * usage windows are tested without waiting (rate limits count real seconds).
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { ADMIN_EMAIL, createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectData, expectError } from '../../../test/helpers/expect.js';
import { maskToken } from '../../keys/token.js';

interface Windows {
  lastHour: number;
  lastDay: number;
  last30Days: number;
}
interface KeyRecord {
  id: string;
  name: string;
  kind: string;
  masked: string;
  token?: string | null;
  secret?: string;
  expiresAt: string | null;
  deployTargets: string[];
  rateLimit: { perSecond: number } | null;
  rotation: {
    generation: number;
    rolledAt: string | null;
    graceEndsAt: string | null;
    previousSecrets: { generation: number; masked: string; validUntil: string }[];
  };
  lastUsedAt: string | null;
  lastUsed: {
    at: string;
    deployTarget: string | null;
    clientAddress: string | null;
    userAgent: string | null;
    secretGeneration: number;
  } | null;
  usage: {
    requests: Windows;
    byDeployTarget: ({ deployTarget: string | null } & Windows)[];
    bySecret: ({
      generation: number;
      current: boolean;
      masked: string;
      lastUsedAt: string | null;
    } & Windows)[];
    refused: ({ reason: string } & Windows)[];
  };
}

const HOUR = 3_600_000;
let clock = Date.UTC(2031, 2, 10, 9, 30);
let t: TestApp;
let acc: string;
let keysUrl: string;
let production: string;
let staging: string;
let other: string;
let jsTarget: string;

before(async () => {
  t = await createTestApp({ services: { now: () => clock, keyUsageFlushMs: 0 } });
  acc = t.account.id;
  keysUrl = `/admin/${acc}/api-keys`;
  const targets = await t.services.deployTargets.list(acc);
  production = targets.find((d) => d.kind === 'rest')?.id ?? '';
  jsTarget = targets.find((d) => d.kind === 'js')?.id ?? '';
  const make = async (name: string) =>
    (await t.services.deployTargets.create(acc, { name, kind: 'rest', deployMode: 'manual' })).id;
  staging = await make('Staging');
  other = await make('Other');
});
after(() => t.close());

const asAdmin = { session: () => t.admin };
const admin = () => ({ session: asAdmin.session() });
const getKey = async (id: string) =>
  expectData<KeyRecord>(await t.call({ url: `${keysUrl}/${id}`, as: admin() }));
const roll = (id: string, graceSeconds: number) =>
  t.call({ method: 'POST', url: `${keysUrl}/${id}/roll`, as: admin(), body: { graceSeconds } });
const endGrace = (id: string) => t.call({ method: 'POST', url: `${keysUrl}/${id}/roll/end`, as: admin() });
/** An Admin API read with a key: 200, or the refusal's code. */
async function adminRead(secret: string): Promise<number | string> {
  const res = await t.call({ url: `/admin/${acc}/agents`, as: { key: secret } });
  return res.statusCode === 200 ? 200 : (res.json() as { code: string }).code;
}
const runtime = (url: string, secret: string, headers: Record<string, string> = {}) =>
  t.call({ method: 'POST', url, as: { key: secret }, body: { commands: [] }, headers });

describe('rotation: a new secret for the same key, the old one valid for a grace period', () => {
  test('ten rolls at once take turns: each answer and audit entry describes its own secret', async () => {
    const { id } = await t.key('admin-read', { name: 'Rolled in a hurry' });
    const answers = (await Promise.all(Array.from({ length: 10 }, () => roll(id, 3600)))).map((res) =>
      expectData<KeyRecord>(res),
    );
    for (const answer of answers) {
      assert.equal(answer.masked, maskToken(answer.secret ?? ''), 'the record shows the secret it answers');
    }
    const generations = answers.map((a) => a.rotation.generation).sort((a, b) => a - b);
    assert.deepEqual(generations, [2, 3, 4, 5, 6, 7, 8, 9, 10, 11]);
    const entries = await t.services.audit.list(acc, { target: id }, 100);
    const rolls = entries.filter((e) => e.action === 'api-key.roll');
    assert.equal(rolls.length, 10);
    // Each roll replaced the secret the previous one made.
    const madeBy = new Map(rolls.map((e) => [(e.after as { generation: number }).generation, e.after]));
    for (const entry of rolls) {
      const before = entry.before as { generation: number; masked: string };
      const previous = madeBy.get(before.generation) as { masked: string } | undefined;
      if (previous) assert.equal(before.masked, previous.masked, `generation ${before.generation}`);
    }
  });

  test('the old secret works until the grace ends, then answers 403 key_expired; the new one works', async () => {
    const { id, secret: old } = await t.key('admin-read', { name: 'Reporting job' });
    const before = await getKey(id);
    assert.equal(await adminRead(old), 200);

    const res = await roll(id, 3600);
    assert.equal(
      res.headers['cache-control'],
      'no-store',
      'the one answer with the new secret is not cached',
    );
    const rolled = expectData<KeyRecord>(res);
    const secret = rolled.secret ?? '';
    assert.match(secret, /^tess_ro_[0-9A-Za-z]{36}$/);
    assert.notEqual(secret, old);
    // the same key record: id, name, kind, targets
    assert.deepEqual(
      [rolled.id, rolled.name, rolled.kind, rolled.deployTargets],
      [before.id, before.name, before.kind, before.deployTargets],
    );
    assert.notEqual(rolled.masked, before.masked);
    assert.deepEqual(rolled.rotation, {
      generation: 2,
      rolledAt: new Date(clock).toISOString(),
      graceEndsAt: new Date(clock + HOUR).toISOString(),
      previousSecrets: [
        { generation: 1, masked: before.masked, validUntil: new Date(clock + HOUR).toISOString() },
      ],
    });
    assert.equal((await getKey(id)).secret, undefined, 'the secret is shown once');

    assert.equal(await adminRead(old), 200, 'during the grace period both secrets work');
    assert.equal(await adminRead(secret), 200);
    clock += HOUR - 1;
    assert.equal(await adminRead(old), 200);
    clock += 1;
    assert.equal(await adminRead(old), 'key_expired', 'the grace is over');
    assert.equal(await adminRead(secret), 200);
    const after = await getKey(id);
    assert.equal(after.rotation.graceEndsAt, null);
    assert.deepEqual(after.rotation.previousSecrets, []);
  });

  test('roll/end ends the grace at once', async () => {
    const { id, secret: old } = await t.key('admin-author', { name: 'Deployer' });
    const secret = expectData<KeyRecord>(await roll(id, 7 * 24 * 3600)).secret ?? '';
    assert.equal(await adminRead(old), 200);
    const ended = expectData<KeyRecord>(await endGrace(id));
    assert.deepEqual(ended.rotation.previousSecrets, []);
    assert.equal(ended.rotation.graceEndsAt, null);
    assert.equal(await adminRead(old), 'key_expired', 'on the very next request');
    assert.equal(await adminRead(secret), 200);
  });

  test('a grace of 0 stops the old secret at once', async () => {
    const { id, secret: old } = await t.key('admin-read');
    assert.equal(await adminRead(old), 200);
    const secret = expectData<KeyRecord>(await roll(id, 0)).secret ?? '';
    assert.equal(await adminRead(old), 'key_expired');
    assert.equal(await adminRead(secret), 200);
  });

  test('rolling again: every earlier secret ends no later than the newest grace', async () => {
    const { id, secret: first } = await t.key('admin-read', { name: 'Twice' });
    const second = expectData<KeyRecord>(await roll(id, 7 * 24 * 3600)).secret ?? '';
    const third = expectData<KeyRecord>(await roll(id, 60));
    assert.deepEqual(
      third.rotation.previousSecrets.map((s) => [s.generation, s.validUntil]),
      [
        [2, new Date(clock + 60_000).toISOString()],
        [1, new Date(clock + 60_000).toISOString()],
      ],
    );
    for (const secret of [first, second, third.secret ?? '']) assert.equal(await adminRead(secret), 200);
    clock += 60_000;
    assert.equal(await adminRead(first), 'key_expired');
    assert.equal(await adminRead(second), 'key_expired');
    assert.equal(await adminRead(third.secret ?? ''), 200);
  });

  test("a deleted key's every secret answers 403 key_deleted, forever", async () => {
    const { id, secret: old } = await t.key('admin-read', { name: 'Gone' });
    const secret = expectData<KeyRecord>(await roll(id, 3600)).secret ?? '';
    assert.equal(await adminRead(old), 200);
    assert.equal(await adminRead(secret), 200);
    const removed = await t.call({ method: 'DELETE', url: `${keysUrl}/${id}?confirm=Gone`, as: admin() });
    assert.equal(removed.statusCode, 200, removed.body);
    assert.equal(await adminRead(old), 'key_deleted');
    assert.equal(await adminRead(secret), 'key_deleted');
    clock += 2 * HOUR;
    assert.equal(await adminRead(old), 'key_deleted', 'not key_expired: the key is gone');
  });

  test('a JS key: the list shows the new token; the old one serves the script until its grace ends', async () => {
    const { id, secret: old } = await t.key('js', { name: 'Shop' });
    const script = (key: string) => t.call({ url: `/${acc}/v3/agent-api/js/${jsTarget}?apikey=${key}` });
    assert.equal((await script(old)).statusCode, 200);
    const secret = expectData<KeyRecord>(await roll(id, 600)).secret ?? '';
    assert.equal((await getKey(id)).token, secret, 'a JS key is public: shown again as usual');
    assert.equal((await script(old)).statusCode, 200);
    assert.equal((await script(secret)).statusCode, 200);
    clock += 600_000;
    const refused = await script(old);
    assert.equal(refused.statusCode, 404);
    assert.match(refused.body, /expired/);
  });

  test('introspection tells which secret was presented, the rotation state and the expiry', async () => {
    const expiresAt = new Date(clock + 30 * 24 * HOUR).toISOString();
    const created = expectData<KeyRecord>(
      await t.call({
        method: 'POST',
        url: keysUrl,
        as: admin(),
        body: { kind: 'rest', name: 'Introspected', expiresAt, rateLimit: { perSecond: 50 } },
      }),
      201,
    );
    const old = created.secret ?? '';
    const self = async (key: string) =>
      expectData<
        KeyRecord & {
          rotation: KeyRecord['rotation'] & {
            presentedSecret: {
              generation: number;
              current: boolean;
              masked: string;
              validUntil: string | null;
            };
          };
        }
      >(await t.call({ url: '/v3/keys/self', as: { key } }));
    const before = await self(old);
    assert.equal(before.expiresAt, expiresAt);
    assert.deepEqual(before.rateLimit, { perSecond: 50 });
    assert.deepEqual(before.rotation.presentedSecret, {
      generation: 1,
      current: true,
      masked: created.masked,
      issuedAt: new Date(clock).toISOString(),
      validUntil: null,
    });
    const rolled = expectData<KeyRecord>(await roll(created.id, 3600));
    const presentedOld = await self(old);
    assert.equal(presentedOld.rotation.generation, 2);
    assert.equal(presentedOld.rotation.graceEndsAt, new Date(clock + HOUR).toISOString());
    assert.deepEqual(
      [presentedOld.rotation.presentedSecret.current, presentedOld.rotation.presentedSecret.validUntil],
      [false, new Date(clock + HOUR).toISOString()],
    );
    const presentedNew = await self(rolled.secret ?? '');
    assert.equal(presentedNew.rotation.presentedSecret.current, true);
    assert.equal(presentedNew.rotation.presentedSecret.masked, rolled.masked);
    for (const res of [presentedOld, presentedNew]) {
      assert.ok(!JSON.stringify(res).includes(old) && !JSON.stringify(res).includes(rolled.secret ?? ''));
    }
  });
});

describe('usage: what each key did, so nobody deletes a key in use', () => {
  test('figures match the requests sent: per deploy target, per secret, refused by reason; the last use', async () => {
    const created = expectData<KeyRecord>(
      await t.call({
        method: 'POST',
        url: keysUrl,
        as: admin(),
        body: { kind: 'rest', name: 'Counted', deployTargets: [production, staging] },
      }),
      201,
    );
    assert.equal(created.lastUsedAt, null);
    assert.deepEqual(created.usage.requests, { lastHour: 0, lastDay: 0, last30Days: 0 });
    const secret = created.secret ?? '';
    const send = async (n: number, url: string, status: number, headers?: Record<string, string>) => {
      for (let i = 0; i < n; i++) assert.equal((await runtime(url, secret, headers)).statusCode, status);
    };
    await send(3, `/${acc}/v3/agent-api`, 200); // the default target: production
    await send(2, `/${acc}/v3/agent-api/${production}`, 200);
    await send(4, `/${acc}/v3/agent-api/${other}`, 403); // deploy_target_not_allowed
    await send(1, `/${acc}/v3/agent-api/${jsTarget}`, 404); // deploy_target_not_found
    for (let i = 0; i < 2; i++) {
      expectError(await t.call({ url: `/admin/${acc}/agents`, as: { key: secret } }), 403, 'wrong_key_kind');
    }
    const otherAccount = await t.services.accounts.create('Elsewhere');
    expectError(await runtime(`/${otherAccount.id}/v3/agent-api`, secret), 403, 'wrong_account');
    clock += 60_000;
    await send(1, `/${acc}/v3/agent-api/${staging}`, 200, { 'user-agent': 'checkout-service/2.1' });
    // introspection is a question about the key, not a use of it
    assert.equal((await t.call({ url: '/v3/keys/self', as: { key: secret } })).statusCode, 200);

    const check = (key: KeyRecord) => {
      assert.deepEqual(key.usage.requests, { lastHour: 6, lastDay: 6, last30Days: 6 });
      assert.deepEqual(key.usage.byDeployTarget, [
        { deployTarget: production, lastHour: 5, lastDay: 5, last30Days: 5 },
        { deployTarget: staging, lastHour: 1, lastDay: 1, last30Days: 1 },
      ]);
      assert.deepEqual(key.usage.refused, [
        { reason: 'deploy_target_not_allowed', lastHour: 4, lastDay: 4, last30Days: 4 },
        { reason: 'deploy_target_not_found', lastHour: 1, lastDay: 1, last30Days: 1 },
        { reason: 'wrong_account', lastHour: 1, lastDay: 1, last30Days: 1 },
        { reason: 'wrong_key_kind', lastHour: 2, lastDay: 2, last30Days: 2 },
      ]);
      assert.equal(key.lastUsedAt, new Date(clock).toISOString());
      assert.deepEqual(key.lastUsed, {
        at: new Date(clock).toISOString(),
        deployTarget: staging,
        clientAddress: '127.0.0.1',
        userAgent: 'checkout-service/2.1',
        secretGeneration: 1,
      });
    };
    // Nothing is written per request: the figures come from memory until the next flush.
    const written = await t.services.store.db
      .selectFrom('api_key_usage')
      .selectAll()
      .where('key_id', '=', created.id)
      .execute();
    assert.deepEqual(written, []);
    check(await getKey(created.id));
    const listed = expectData<KeyRecord[]>(await t.call({ url: keysUrl, as: admin() })).find(
      (k) => k.id === created.id,
    );
    check(listed as KeyRecord);
    await t.services.keyUsage.flush();
    check(await getKey(created.id));

    // Windows move with time: two hours later the requests are out of the last hour.
    clock += 2 * HOUR;
    const later = await getKey(created.id);
    assert.deepEqual(later.usage.requests, { lastHour: 0, lastDay: 6, last30Days: 6 });
  });

  test('after a roll, usage per secret shows whether the old one is still used', async () => {
    const { id, secret: old } = await t.key('admin-read', { name: 'Rotated reader' });
    await adminRead(old);
    const rolled = expectData<KeyRecord>(await roll(id, 3600));
    await adminRead(old);
    await adminRead(old);
    clock += 1;
    await adminRead(rolled.secret ?? '');
    const key = await getKey(id);
    assert.deepEqual(
      key.usage.bySecret.map((s) => [s.generation, s.current, s.lastHour]),
      [
        [2, true, 1],
        [1, false, 3],
      ],
    );
    assert.equal(key.usage.bySecret[1].masked, rolled.rotation.previousSecrets[0].masked);
    assert.equal(key.lastUsed?.secretGeneration, 2);
    // Admin API requests have no deploy target
    assert.deepEqual(key.usage.byDeployTarget, [
      { deployTarget: null, lastHour: 4, lastDay: 4, last30Days: 4 },
    ]);
  });

  test("a browser's CORS preflight is not a use; the events it precedes are", async () => {
    const { id, secret } = await t.key('js', { name: 'Beacons' });
    const url = `/${acc}/v3/agent-api/js/${jsTarget}/events?apikey=${secret}`;
    const origin = { origin: 'https://shop.example.com' };
    const preflight = await t.call({ method: 'OPTIONS', url, headers: origin });
    assert.equal(preflight.statusCode, 204);
    const sent = await t.call({ method: 'POST', url, headers: origin, body: { session: 's-1', events: [] } });
    assert.equal(sent.statusCode, 200, sent.body);
    assert.deepEqual((await getKey(id)).usage.byDeployTarget, [
      { deployTarget: jsTarget, lastHour: 1, lastDay: 1, last30Days: 1 },
    ]);
  });

  test('refusals of deleted and expired keys are counted for them', async () => {
    const expiring = expectData<KeyRecord>(
      await t.call({
        method: 'POST',
        url: keysUrl,
        as: admin(),
        body: { kind: 'admin-read', name: 'Short-lived', expiresAt: new Date(clock + 1000).toISOString() },
      }),
      201,
    );
    clock += 1000;
    assert.equal(await adminRead(expiring.secret ?? ''), 'key_expired');
    assert.equal(await adminRead(expiring.secret ?? ''), 'key_expired');
    assert.deepEqual((await getKey(expiring.id)).usage.refused, [
      { reason: 'key_expired', lastHour: 2, lastDay: 2, last30Days: 2 },
    ]);
    const { id, secret } = await t.key('admin-read');
    await t.services.keys.deleteKey(acc, id, ADMIN_EMAIL);
    assert.equal(await adminRead(secret), 'key_deleted');
    const usage = (await t.services.keyUsage.usageOf([id])).get(id);
    assert.deepEqual(usage?.refused, [{ reason: 'key_deleted', lastHour: 1, lastDay: 1, last30Days: 1 }]);
  });
});

describe('deleting a key in use', () => {
  test('a key used in the last 24 hours is deleted only with ?confirm=<its name>', async () => {
    const { id, secret } = await t.key('admin-read', { name: 'Nightly export' });
    assert.equal(await adminRead(secret), 200);
    const url = `${keysUrl}/${id}`;
    const refused = expectError(
      await t.call({ method: 'DELETE', url, as: admin() }),
      409,
      'confirmation_required',
    );
    assert.match(refused.err, /last 24 hours/);
    assert.match(refused.err, /\?confirm=/);
    assert.equal(await adminRead(secret), 200, 'the refused deletion changed nothing');
    const deleted = expectData<KeyRecord & { deletedAt: string }>(
      await t.call({
        method: 'DELETE',
        url: `${url}?confirm=${encodeURIComponent('Nightly export')}`,
        as: admin(),
      }),
    );
    assert.equal(deleted.deletedAt, new Date(clock).toISOString());
    assert.equal(deleted.lastUsedAt, new Date(clock).toISOString(), 'the answer says when it was last used');
    assert.equal(await adminRead(secret), 'key_deleted');
  });

  test('a key unused for 24 hours, or never used, needs no confirmation', async () => {
    const never = await t.key('rest');
    assert.equal(
      (await t.call({ method: 'DELETE', url: `${keysUrl}/${never.id}`, as: admin() })).statusCode,
      200,
    );
    const { id, secret } = await t.key('admin-read', { name: 'Yesterday' });
    assert.equal(await adminRead(secret), 200);
    clock += 24 * HOUR;
    assert.equal((await t.call({ method: 'DELETE', url: `${keysUrl}/${id}`, as: admin() })).statusCode, 200);
  });
});

describe('expiry', () => {
  test('?expiringWithin=7d lists the keys expiring within 7 days, those already expired included', async () => {
    const post = async (name: string, inMs: number | null) =>
      expectData<KeyRecord>(
        await t.call({
          method: 'POST',
          url: keysUrl,
          as: admin(),
          body: {
            kind: 'rest',
            name,
            expiresAt: inMs === null ? null : new Date(clock + inMs).toISOString(),
          },
        }),
        201,
      ).id;
    const soon = await post('Expires soon', 3 * 24 * HOUR);
    const expired = await post('Expires first', 1000);
    const later = await post('Expires later', 30 * 24 * HOUR);
    const never = await post('Never expires', null);
    clock += 2000;
    const listed = expectData<KeyRecord[]>(
      await t.call({ url: `${keysUrl}?expiringWithin=7d`, as: admin() }),
    ).map((k) => k.id);
    assert.ok(listed.includes(soon) && listed.includes(expired));
    assert.ok(!listed.includes(later) && !listed.includes(never));
    const within31 = expectData<KeyRecord[]>(
      await t.call({ url: `${keysUrl}?expiringWithin=31d`, as: admin() }),
    );
    assert.ok(within31.some((k) => k.id === later));
    assert.ok(within31.every((k) => k.expiresAt !== null));
  });
});

describe('rate limits per key', () => {
  test('over its limit a key gets 429 rate_limited with Retry-After, then works again', async () => {
    const created = expectData<KeyRecord>(
      await t.call({
        method: 'POST',
        url: keysUrl,
        as: admin(),
        body: { kind: 'admin-read', name: 'Limited', rateLimit: { perSecond: 3 } },
      }),
      201,
    );
    assert.deepEqual(created.rateLimit, { perSecond: 3 });
    const secret = created.secret ?? '';
    const answers = [];
    for (let i = 0; i < 4; i++)
      answers.push(await t.call({ url: `/admin/${acc}/agents`, as: { key: secret } }));
    assert.deepEqual(
      answers.map((r) => r.statusCode),
      [200, 200, 200, 429],
    );
    const limited = expectError(answers[3], 429, 'rate_limited');
    assert.match(limited.err, /3 request/);
    const retryAfter = Number(answers[3].headers['retry-after']);
    assert.ok(retryAfter >= 1 && retryAfter <= 1, `Retry-After: ${answers[3].headers['retry-after']}`);
    await sleep(retryAfter * 1000 + 50);
    assert.equal(await adminRead(secret), 200, 'after Retry-After the key works again');
    const key = await getKey(created.id);
    assert.deepEqual(key.usage.refused, [{ reason: 'rate_limited', lastHour: 1, lastDay: 1, last30Days: 1 }]);

    // PATCH removes the limit; the change holds on the next request.
    const patched = expectData<KeyRecord>(
      await t.call({
        method: 'PATCH',
        url: `${keysUrl}/${created.id}`,
        as: admin(),
        body: { rateLimit: null },
      }),
    );
    assert.equal(patched.rateLimit, null);
    for (let i = 0; i < 10; i++) assert.equal(await adminRead(secret), 200);
  });

  test('any kind of key: a JS key over its limit gets a plain-text 429 on the script', async () => {
    const { id, secret } = await t.key('js', { name: 'Busy page' });
    await t.call({
      method: 'PATCH',
      url: `${keysUrl}/${id}`,
      as: admin(),
      body: { rateLimit: { perSecond: 1 } },
    });
    const url = `/${acc}/v3/agent-api/js/${jsTarget}?apikey=${secret}`;
    assert.equal((await t.call({ url })).statusCode, 200);
    const limited = await t.call({ url });
    assert.equal(limited.statusCode, 429);
    assert.ok(Number(limited.headers['retry-after']) >= 1);
    assert.equal(limited.headers['cache-control'], 'no-store');
    assert.match(limited.body, /^Too Many Requests/);
  });
});
