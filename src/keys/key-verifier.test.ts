import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { type ChangeFeed, createLocalChangeFeed } from '../store/changes.js';
import { type ApiKey, firstSecret, type KeySecret } from './api-key.js';
import type { KeyStore } from './key-store.js';
import { createKeyVerifier, type Verification } from './key-verifier.js';
import { generateToken, hashToken, type KeyKind, maskToken } from './token.js';

/** A KeyStore in memory that counts lookups and can hold one lookup until the test releases it. */
function fakeStore() {
  const byHash = new Map<string, ApiKey>();
  let lookups = 0;
  let holdNext = false;
  let release = () => {};
  const store: KeyStore = {
    async findBySecretHash(secretHash) {
      lookups++;
      // The answer is read when the lookup starts, as a database read would be.
      const answer = byHash.get(secretHash);
      const copy = answer ? { ...answer } : undefined;
      if (holdNext) {
        holdNext = false;
        await new Promise<void>((resolve) => {
          release = resolve;
        });
      }
      return copy;
    },
    get: () => Promise.reject(new Error('not used')),
    lockLive: () => Promise.reject(new Error('not used')),
    list: () => Promise.reject(new Error('not used')),
    insert: () => Promise.reject(new Error('not used')),
    update: () => Promise.reject(new Error('not used')),
    deleteKey: () => Promise.reject(new Error('not used')),
    keysUsingDeployTarget: () => Promise.reject(new Error('not used')),
    announced: () => Promise.reject(new Error('not used')),
    roll: () => Promise.reject(new Error('not used')),
    endGrace: () => Promise.reject(new Error('not used')),
    audit: () => Promise.reject(new Error('not used')),
  };
  return {
    store,
    lookups: () => lookups,
    add(kind: KeyKind, fields: Partial<ApiKey> = {}, token = generateToken(kind)) {
      const key: ApiKey = {
        id: `key-${byHash.size}`,
        accountId: 'acc-1',
        kind,
        name: 'k',
        masked: maskToken(token),
        deployTargets: [],
        createdAt: 1,
        createdBy: 'a@example.com',
        expiresAt: null,
        deletedAt: null,
        publicToken: null,
        allowedOrigins: [],
        ...fields,
      };
      byHash.set(hashToken(token), key);
      return { token, key, secretHash: hashToken(token) };
    },
    change(secretHash: string, fields: Partial<ApiKey>) {
      const key = byHash.get(secretHash);
      if (key) byHash.set(secretHash, { ...key, ...fields });
    },
    /** the next lookup reads its answer, then waits for `release` */
    hold() {
      holdNext = true;
    },
    release() {
      release();
    },
  };
}

function setup(options?: { maxKeys?: number; maxUnknown?: number }) {
  const fake = fakeStore();
  const changes = createLocalChangeFeed();
  const cache = createKeyVerifier(fake.store, changes, options);
  return { fake, changes, cache };
}

function isSync(answer: Verification | Promise<Verification>): answer is Verification {
  return !(answer instanceof Promise);
}

describe('key cache', () => {
  test('a hit answers synchronously, without touching the store', async () => {
    const { fake, cache } = setup();
    const { token, key } = fake.add('rest');
    const first = cache.verify(token);
    assert.ok(!isSync(first), 'the first verification asks the store');
    assert.deepEqual(await first, { ok: true, key, secretHash: hashToken(token), secret: firstSecret(key) });
    assert.equal(fake.lookups(), 1);
    for (let i = 0; i < 1000; i++) {
      const again = cache.verify(token);
      assert.ok(isSync(again), 'a known key is answered from memory');
      assert.equal(again.ok, true);
    }
    assert.equal(fake.lookups(), 1);
  });

  test('peek answers from memory only and never starts a lookup', async () => {
    const { fake, changes, cache } = setup();
    const { token, key, secretHash } = fake.add('rest');
    assert.equal(cache.peek(token), undefined, 'not met yet: only verify asks the store');
    assert.deepEqual(cache.peek('not-a-key'), { ok: false, code: 'key_malformed' });
    assert.equal(fake.lookups(), 0);
    await cache.verify(token);
    assert.deepEqual(cache.peek(token), { ok: true, key, secretHash, secret: firstSecret(key) });
    fake.change(secretHash, { deletedAt: 1 });
    changes.publish({ type: 'api-key', accountId: key.accountId, keyId: key.id, secretHash });
    assert.equal(cache.peek(token), undefined, 'evicted by the change: the store decides again');
    assert.deepEqual(await cache.verify(token), { ok: false, code: 'key_deleted' });
    assert.deepEqual(cache.peek(token), { ok: false, code: 'key_deleted' });
    assert.equal(fake.lookups(), 2);
  });

  test('peek answers nothing while the feed is not live', async () => {
    const fake = fakeStore();
    const local = createLocalChangeFeed();
    let live = true;
    const changes: ChangeFeed = { ...local, isLive: () => live };
    const cache = createKeyVerifier(fake.store, changes);
    const { token } = fake.add('rest');
    await cache.verify(token);
    assert.equal(cache.peek(token)?.ok, true);
    live = false;
    assert.equal(cache.peek(token), undefined, 'a deletion may have been missed: the store must say');
  });

  test('malformed tokens never reach the store', () => {
    const { fake, cache } = setup();
    const good = generateToken('admin-read');
    const typo = `${good.slice(0, 20)}${good[20] === 'a' ? 'b' : 'a'}${good.slice(21)}`;
    for (const token of ['', 'garbage', good.slice(0, -1), `${good}x`, typo, 'tess_rest_'.padEnd(46, 'A')]) {
      const answer = cache.verify(token);
      assert.ok(isSync(answer));
      assert.deepEqual(answer, { ok: false, code: 'key_malformed' });
    }
    assert.equal(fake.lookups(), 0);
  });

  test('a flood of one unknown well-formed token costs one store lookup', async () => {
    const { fake, cache } = setup();
    const unknown = generateToken('rest');
    const answers = await Promise.all(Array.from({ length: 500 }, () => cache.verify(unknown)));
    assert.ok(answers.every((a) => !a.ok && a.code === 'key_unknown'));
    const later = cache.verify(unknown);
    assert.ok(isSync(later), 'an unknown token once looked up is answered from memory');
    assert.deepEqual(later, { ok: false, code: 'key_unknown' });
    assert.equal(fake.lookups(), 1);
    assert.equal(cache.stats().unknown, 1);
  });

  test('the negative cache is bounded', async () => {
    const { fake, cache } = setup({ maxUnknown: 5 });
    const tokens = Array.from({ length: 50 }, () => generateToken('js'));
    for (const token of tokens) await cache.verify(token);
    assert.equal(fake.lookups(), 50);
    assert.equal(cache.stats().unknown, 5);
    // the oldest were dropped to keep the bound, so they are looked up again
    await cache.verify(tokens[0]);
    assert.equal(fake.lookups(), 51);
    // the newest are still remembered
    assert.ok(isSync(cache.verify(tokens[49])));
  });

  test('the known-key cache is bounded too', async () => {
    const { fake, cache } = setup({ maxKeys: 3 });
    const keys = Array.from({ length: 10 }, () => fake.add('rest'));
    for (const { token } of keys) await cache.verify(token);
    assert.equal(cache.stats().keys, 3);
  });

  test('a published api-key change evicts: the next verification sees the deletion', async () => {
    const { fake, changes, cache } = setup();
    const { token, key, secretHash } = fake.add('admin-author');
    assert.equal((await cache.verify(token)).ok, true);
    fake.change(secretHash, { deletedAt: 2 });
    // without a published change the cache still answers what it holds (that is the point of it)
    assert.equal((cache.verify(token) as Verification).ok, true);
    changes.publish({ type: 'api-key', accountId: key.accountId, keyId: key.id, secretHash });
    assert.deepEqual(await cache.verify(token), { ok: false, code: 'key_deleted' });
    // the tombstone stays in memory: a deleted key is refused without another lookup
    const lookups = fake.lookups();
    assert.deepEqual(cache.verify(token), { ok: false, code: 'key_deleted' });
    assert.equal(fake.lookups(), lookups);
  });

  test('an edit is seen at once (deploy targets changed)', async () => {
    const { fake, changes, cache } = setup();
    const { token, key, secretHash } = fake.add('rest');
    await cache.verify(token);
    fake.change(secretHash, { deployTargets: ['dt-staging'] });
    changes.publish({ type: 'api-key', accountId: key.accountId, keyId: key.id, secretHash });
    const answer = await cache.verify(token);
    assert.ok(answer.ok);
    assert.deepEqual(answer.key.deployTargets, ['dt-staging']);
  });

  test('a key created after its token was cached as unknown is found once the creation is published', async () => {
    const { fake, changes, cache } = setup();
    const token = generateToken('rest');
    assert.deepEqual(await cache.verify(token), { ok: false, code: 'key_unknown' });
    const { key, secretHash } = fake.add('rest', {}, token);
    assert.deepEqual(cache.verify(token), { ok: false, code: 'key_unknown' });
    changes.publish({ type: 'api-key', accountId: key.accountId, keyId: key.id, secretHash });
    assert.equal((await cache.verify(token)).ok, true);
  });

  test('a store read that started before a change does not re-insert a stale entry', async () => {
    const { fake, changes, cache } = setup();
    const { token, key, secretHash } = fake.add('rest');
    fake.hold();
    const before = cache.verify(token); // reads the live key, then waits
    await Promise.resolve();
    fake.change(secretHash, { deletedAt: 5 });
    changes.publish({ type: 'api-key', accountId: key.accountId, keyId: key.id, secretHash });
    // a verification after the change does not join the stale read, and finishes first
    assert.deepEqual(await cache.verify(token), { ok: false, code: 'key_deleted' });
    fake.release();
    assert.equal((await before).ok, true, 'the read that began before the deletion answers what it read');
    // the stale answer did not overwrite the fresh one
    assert.deepEqual(await cache.verify(token), { ok: false, code: 'key_deleted' });
  });

  test('a stale unknown answer is not cached either', async () => {
    const { fake, changes, cache } = setup();
    const token = generateToken('rest');
    fake.hold();
    const before = cache.verify(token); // reads "no such key", then waits
    await Promise.resolve();
    const { key, secretHash } = fake.add('rest', {}, token);
    changes.publish({ type: 'api-key', accountId: key.accountId, keyId: key.id, secretHash });
    fake.release();
    assert.deepEqual(await before, { ok: false, code: 'key_unknown' });
    assert.equal(cache.stats().unknown, 0);
    assert.equal((await cache.verify(token)).ok, true);
  });

  test('a lookup of a previous secret in flight when the key changes is not joined after the change', async () => {
    // A rolled key: its previous secret is still in its grace, its current secret is another.
    const previous = generateToken('rest');
    const current = generateToken('rest');
    const key: ApiKey = {
      id: 'key-rolled',
      accountId: 'acc-1',
      kind: 'rest',
      name: 'k',
      masked: maskToken(current),
      deployTargets: [],
      createdAt: 1,
      createdBy: 'a@example.com',
      expiresAt: null,
      deletedAt: null,
      publicToken: null,
      allowedOrigins: [],
    };
    const secret: KeySecret = { generation: 1, masked: maskToken(previous), issuedAt: 1, validUntil: 10_000 };
    // Each lookup answers when the test says so, with the row the test gives.
    const lookups: ((row: (ApiKey & { secret: KeySecret }) | undefined) => void)[] = [];
    const store: Pick<KeyStore, 'findBySecretHash'> = {
      findBySecretHash: () => new Promise((resolve) => lookups.push(resolve)),
    };
    const changes = createLocalChangeFeed();
    const cache = createKeyVerifier(store, changes);
    const first = cache.verify(previous, 100);
    assert.equal(lookups.length, 1);
    // The key is deleted: the change names the key and its current secret only.
    changes.publish({
      type: 'api-key',
      accountId: key.accountId,
      keyId: key.id,
      secretHash: hashToken(current),
    });
    const second = cache.verify(previous, 100);
    // The first lookup read the row from before the deletion.
    lookups[0]({ ...key, secret });
    lookups[1]?.({ ...key, deletedAt: 50, secret });
    assert.equal((await first).ok, true, 'the request from before the deletion answers what it read');
    assert.deepEqual(await second, { ok: false, code: 'key_deleted' });
    assert.equal(lookups.length, 2, 'the request after the deletion read for itself');
  });

  test('while the feed is not live, nothing is answered from memory', async () => {
    const { fake } = setup();
    let live = true;
    const local = createLocalChangeFeed();
    const changes: ChangeFeed = { ...local, isLive: () => live };
    const cache = createKeyVerifier(fake.store, changes);
    const { token, secretHash } = fake.add('rest');
    assert.equal((await cache.verify(token)).ok, true);
    assert.ok(isSync(cache.verify(token)), 'cached while live');
    // A deletion this server has not heard of (its notification connection is silent).
    fake.change(secretHash, { deletedAt: 2 });
    live = false;
    const answer = cache.verify(token);
    assert.ok(!isSync(answer), 'not live: the store is asked');
    assert.deepEqual(await answer, { ok: false, code: 'key_deleted' });
    const unknown = generateToken('rest');
    await cache.verify(unknown);
    const lookups = fake.lookups();
    await cache.verify(unknown);
    assert.equal(fake.lookups(), lookups + 1, 'nor is an unknown token remembered');
  });

  test('resync drops everything', async () => {
    const { fake, changes, cache } = setup();
    const { token } = fake.add('rest');
    await cache.verify(token);
    await cache.verify(generateToken('rest'));
    assert.deepEqual(cache.stats(), { keys: 1, unknown: 1 });
    changes.publish({ type: 'resync' });
    assert.deepEqual(cache.stats(), { keys: 0, unknown: 0 });
    assert.ok(!isSync(cache.verify(token)));
  });

  test('expired keys answer key_expired, judged at each verification', async () => {
    const { fake, cache } = setup();
    const now = 1_000_000;
    const expired = fake.add('admin-read', { expiresAt: now - 1 });
    assert.deepEqual(await cache.verify(expired.token, now), { ok: false, code: 'key_expired' });
    const later = fake.add('admin-read', { expiresAt: now + 1000 });
    assert.equal((await cache.verify(later.token, now)).ok, true);
    assert.equal((cache.verify(later.token, now + 999) as Verification).ok, true);
    assert.deepEqual(cache.verify(later.token, now + 1000), { ok: false, code: 'key_expired' });
  });

  test('a failing store is reported, not cached as unknown', async () => {
    const changes = createLocalChangeFeed();
    let fail = true;
    const { store, add } = fakeStore();
    const { token } = add('rest');
    const flaky: KeyStore = {
      ...store,
      findBySecretHash: (hash) =>
        fail ? Promise.reject(new Error('store down')) : store.findBySecretHash(hash),
    };
    const cache = createKeyVerifier(flaky, changes);
    await assert.rejects(async () => cache.verify(token), /store down/);
    fail = false;
    assert.equal((await cache.verify(token)).ok, true);
  });
});
