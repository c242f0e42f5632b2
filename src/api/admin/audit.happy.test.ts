/**
 * The audit log records each change to keys, deploy targets, users, deployments, agents and goals
 * with its actor, time, address and before/after, and never a secret; it is filterable and
 * exportable as JSON lines.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { sql } from 'kysely';
import {
  ADMIN_EMAIL,
  ADMIN_PASSWORD,
  createTestApp,
  type SignedIn,
  type TestApp,
} from '../../../test/helpers/app.js';
import { expectData } from '../../../test/helpers/expect.js';

interface Entry {
  id: string;
  at: string;
  actor: string;
  clientAddress: string | null;
  action: string;
  targetType: string;
  target: string;
  before: Record<string, unknown> | null;
  after: Record<string, unknown> | null;
}

let t: TestApp;
let acc: string;
let second: SignedIn;
const secrets: string[] = [];
let keyId: string;
let targetId: string;
let userId: string;
let started: number;

before(async () => {
  t = await createTestApp({ services: { keyUsageFlushMs: 0 } });
  acc = t.account.id;
  second = await t.person('account-admin');
  started = Date.now();
  const as = { session: t.admin };
  const call = async (method: 'POST' | 'PATCH' | 'DELETE' | 'PUT', url: string, body?: unknown, who = as) => {
    const res = await t.call({ method, url, as: who, body });
    assert.ok(res.statusCode < 300, `${method} ${url}: ${res.statusCode} ${res.body}`);
    return res.json().data;
  };
  // keys: create, edit, roll, end the grace, delete
  const created = await call('POST', `/admin/${acc}/api-keys`, { kind: 'rest', name: 'Audited' });
  keyId = created.id;
  secrets.push(created.secret);
  await call('PATCH', `/admin/${acc}/api-keys/${keyId}`, {
    name: 'Audited (renamed)',
    rateLimit: { perSecond: 5 },
  });
  secrets.push((await call('POST', `/admin/${acc}/api-keys/${keyId}/roll`, { graceSeconds: 3600 })).secret);
  await call('POST', `/admin/${acc}/api-keys/${keyId}/roll/end`);
  await call('DELETE', `/admin/${acc}/api-keys/${keyId}`);
  // a JS key too: its token is public, yet never recorded
  secrets.push((await call('POST', `/admin/${acc}/api-keys`, { kind: 'js', name: 'Site' })).secret);
  // deploy targets and a deployment
  targetId = (
    await call('POST', `/admin/${acc}/deploy-targets`, {
      name: 'Staging',
      kind: 'rest',
      deployMode: 'manual',
    })
  ).code;
  await call('PATCH', `/admin/${acc}/deploy-targets/${targetId}`, { name: 'Staging 2' });
  await call('PUT', `/admin/${acc}/goals/g-signup`, { name: 'Signed up' });
  await call('PUT', `/admin/${acc}/agents/a-hero`, { variations: [{ code: 'A' }, { code: 'B' }] });
  await call('POST', `/admin/${acc}/deploy-targets/${targetId}/deploy`);
  await call('DELETE', `/admin/${acc}/deploy-targets/${targetId}`);
  // people, by the second admin
  const who = { session: second };
  userId = (
    await call(
      'POST',
      `/admin/${acc}/users`,
      { email: 'new@example.com', password: ADMIN_PASSWORD, role: 'view-reports' },
      who,
    )
  ).id;
  await call('PATCH', `/admin/${acc}/users/${userId}`, { role: 'agent-author' }, who);
  await call('DELETE', `/admin/${acc}/users/${userId}`, undefined, who);
  // an admin key changes an agent: the key is the actor
  const author = await t.key('admin-author', { name: 'CI' });
  secrets.push(author.secret);
  await call('DELETE', `/admin/${acc}/agents/a-hero`, undefined, { key: author.secret } as never);
});
after(() => t.close());

async function audit(query = ''): Promise<Entry[]> {
  return expectData<Entry[]>(await t.call({ url: `/admin/${acc}/audit${query}`, as: { session: t.admin } }));
}

describe('audit log: every change, with who, when, from where, before and after', () => {
  test('each change is recorded with its actor and address, newest first', async () => {
    const entries = await audit('?limit=1000');
    const mine = entries.filter((e) => Date.parse(e.at) >= started - 1000).reverse();
    const actions = mine.map((e) => `${e.actor} ${e.action} ${e.target}`);
    const expected = [
      `${ADMIN_EMAIL} api-key.create ${keyId}`,
      `${ADMIN_EMAIL} api-key.update ${keyId}`,
      `${ADMIN_EMAIL} api-key.roll ${keyId}`,
      `${ADMIN_EMAIL} api-key.roll-end ${keyId}`,
      `${ADMIN_EMAIL} api-key.delete ${keyId}`,
    ];
    for (const line of expected) assert.ok(actions.includes(line), `${line} in ${actions.join('\n')}`);
    assert.deepEqual(
      actions.filter((a) => a.includes(targetId)),
      [
        `${ADMIN_EMAIL} deploy-target.create ${targetId}`,
        `${ADMIN_EMAIL} deploy-target.update ${targetId}`,
        `${ADMIN_EMAIL} deploy-target.deploy ${targetId}`,
        `${ADMIN_EMAIL} deploy-target.delete ${targetId}`,
      ],
    );
    assert.deepEqual(
      actions.filter((a) => a.includes(userId)),
      [
        `${second.email} user.create ${userId}`,
        `${second.email} user.update ${userId}`,
        `${second.email} user.delete ${userId}`,
      ],
    );
    assert.ok(actions.includes(`${ADMIN_EMAIL} goal.create g-signup`));
    assert.ok(actions.includes(`${ADMIN_EMAIL} agent.create a-hero`));
    assert.ok(
      actions.some((a) => /^key:key-\S+ agent\.delete a-hero$/.test(a)),
      'an admin key is named as the actor',
    );
    // Changes made over HTTP say from where; those made by services directly (test set-up) cannot.
    const overHttp = mine.filter((e) => [keyId, targetId, userId, 'g-signup', 'a-hero'].includes(e.target));
    assert.equal(overHttp.length, 15);
    for (const entry of overHttp) {
      assert.equal(entry.clientAddress, '127.0.0.1');
      assert.ok(Math.abs(Date.parse(entry.at) - Date.now()) < 60_000);
    }
    // newest first
    const times = entries.map((e) => Date.parse(e.at));
    assert.deepEqual(
      times,
      [...times].sort((a, b) => b - a),
    );
  });

  test('before and after say what changed', async () => {
    const [update] = await audit(`?target=${keyId}&type=api-key`).then((list) =>
      list.filter((e) => e.action === 'api-key.update'),
    );
    assert.equal(update.before?.name, 'Audited');
    assert.equal(update.after?.name, 'Audited (renamed)');
    assert.deepEqual(update.before?.rateLimit, null);
    assert.deepEqual(update.after?.rateLimit, { perSecond: 5 });
    const role = (await audit(`?target=${userId}`)).find((e) => e.action === 'user.update');
    assert.deepEqual(
      [role?.before, role?.after],
      [
        { email: 'new@example.com', role: 'view-reports' },
        { email: 'new@example.com', role: 'agent-author' },
      ],
    );
    const deployed = (await audit(`?target=${targetId}`)).find((e) => e.action === 'deploy-target.deploy');
    assert.equal(deployed?.before?.deployedVersion, null);
    assert.equal(typeof deployed?.after?.deployedVersion, 'number');
    const deleted = (await audit(`?target=${keyId}`)).find((e) => e.action === 'api-key.delete');
    assert.equal(deleted?.after, null);
    assert.equal(deleted?.before?.name, 'Audited (renamed)');
  });

  test('filters: actor, target, type, since and until', async () => {
    const bySecond = await audit(`?actor=${encodeURIComponent(second.email)}`);
    assert.deepEqual(
      bySecond.map((e) => e.action),
      ['user.delete', 'user.update', 'user.create'],
    );
    assert.ok((await audit(`?target=${targetId}`)).every((e) => e.target === targetId));
    assert.ok((await audit('?type=user')).every((e) => e.targetType === 'user'));
    const future = new Date(Date.now() + 60_000).toISOString();
    assert.deepEqual(await audit(`?since=${encodeURIComponent(future)}`), []);
    assert.deepEqual(
      await audit(`?until=${encodeURIComponent(new Date(started - 60_000).toISOString())}`),
      (await audit('?limit=1000')).filter((e) => Date.parse(e.at) < started - 60_000),
    );
    assert.equal((await audit('?limit=2')).length, 2);
  });

  test('the export has every entry as a JSON line, oldest first, as a download', async () => {
    const res = await t.call({ url: `/admin/${acc}/audit.jsonl`, as: { session: t.admin } });
    assert.equal(res.statusCode, 200);
    assert.match(String(res.headers['content-type']), /^application\/x-ndjson/);
    assert.match(String(res.headers['content-disposition']), /attachment; filename="audit-acc-/);
    const lines = res.body
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line) as Entry);
    const all = await audit('?limit=1000');
    assert.deepEqual(lines, [...all].reverse());
    const filtered = await t.call({
      url: `/admin/${acc}/audit.jsonl?type=user&actor=${encodeURIComponent(second.email)}`,
      as: { session: t.admin },
    });
    assert.equal(filtered.body.trimEnd().split('\n').length, 3);
  });

  test('no secret is ever recorded: not in the answers, not in the rows', async () => {
    const rows = await sql`select * from audit_log`.execute(t.services.store.db);
    const stored = JSON.stringify(rows.rows);
    const exported = (await t.call({ url: `/admin/${acc}/audit.jsonl`, as: { session: t.admin } })).body;
    assert.equal(secrets.length, 4);
    for (const secret of secrets) {
      assert.ok(secret.length > 30);
      for (const [where, text] of [
        ['the rows', stored],
        ['the export', exported],
      ]) {
        assert.ok(!text.includes(secret), `a secret appears in ${where}`);
        assert.ok(!text.includes(secret.slice(12, -8)), `the random part of a secret appears in ${where}`);
      }
    }
    assert.ok(!stored.includes(ADMIN_PASSWORD), 'no password');
    assert.ok(!stored.includes('$argon2'), 'no password hash');
  });

  test('a change that fails records nothing', async () => {
    const before = (await audit('?limit=1000')).length;
    const res = await t.call({
      method: 'DELETE',
      url: `/admin/${acc}/deploy-targets/${(await t.services.deployTargets.resolve(acc, undefined))?.id}`,
      as: { session: t.admin },
    });
    assert.equal(res.statusCode, 409, 'the default target cannot be deleted');
    assert.equal((await audit('?limit=1000')).length, before);
  });
});
