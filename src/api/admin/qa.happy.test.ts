/**
 * QA sessions and the playground (docs/targeting.md): a QA session sees its forced variations
 * and the QA-only agents, and nothing it does is counted; the playground writes nothing.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';

let t: TestApp;
let acc: string;
let author: string;
let rest: string;
let restTarget: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  author = (await t.key('admin-author')).secret;
  rest = (await t.key('rest')).secret;
  restTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'rest')?.id as string;
  await t.services.goals.put(acc, 'g-buy', { value: 1 });
  await t.services.agents.put(acc, 'a-hero', { variations: [{ code: 'A' }, { code: 'B' }, { code: 'C' }] });
  await t.services.agents.put(acc, 'a-secret', { variations: [{ code: 'A' }, { code: 'B' }], qaOnly: true });
});
after(() => t.close());

function run(session: string, commands: unknown[]) {
  return t.call({
    method: 'POST',
    url: `/${acc}/v3/agent-api?session=${encodeURIComponent(session)}`,
    as: { key: rest },
    body: { commands },
  });
}

async function newQa(forced: Record<string, string> = {}) {
  const res = await t.call({
    method: 'POST',
    url: `/admin/${acc}/qa-sessions`,
    as: { key: author },
    body: { deployTarget: restTarget, name: 'Checking the hero', forced, expiresInSeconds: 3600 },
  });
  assert.equal(res.statusCode, 201, res.body);
  return res.json().data as { code: string; forced: Record<string, string>; expiresAt: string };
}

async function report(agent: string) {
  const res = await t.call({ url: `/admin/${acc}/reports/decision-stats/${agent}`, as: { key: author } });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().data;
}

test('a QA session answers its forced variation; QA-only agents answer it alone', async () => {
  const qa = await newQa({ 'a-hero': 'C' });
  assert.match(qa.code, /^qa-[A-Za-z0-9]{16}$/);
  const answer = (await run(qa.code, [{ a: 'a-hero' }, { a: 'a-secret' }])).json().data;
  assert.deepEqual(
    answer.items.map((i: { a: string; c: string; p: string }) => [i.a, i.c, i.p]),
    [
      ['a-hero', 'C', 'f'],
      ['a-secret', answer.sels['a-secret'], 'r'],
    ],
  );
  const visitor = (await run('someone', [{ a: 'a-hero' }, { a: 'a-secret' }])).json().data;
  assert.deepEqual(Object.keys(visitor.sels), ['a-hero']);
  // a session that merely looks like one is a visitor like any other
  const lookalike = (await run('qa-notacode', [{ a: 'a-secret' }])).json().data;
  assert.deepEqual(lookalike.items, []);
  const listed = await t.call({ url: `/admin/${acc}/qa-sessions`, as: { key: author } });
  assert.ok(listed.json().data.some((q: { code: string }) => q.code === qa.code));
});

test('reports are unchanged after 1,000 QA requests (selections and rewards)', async () => {
  for (let i = 0; i < 20; i++) await run(`real-${i}`, [{ a: 'a-hero' }, { g: 'g-buy' }]);
  const before = await report('a-hero');
  const total = (r: { variations: { sessions: number }[] }) =>
    r.variations.reduce((n, v) => n + v.sessions, 0);
  // the 20 real sessions, and the one visitor of the first test
  assert.equal(total(before), 21);
  const sessions = [await newQa(), await newQa({ 'a-hero': 'B' }), await newQa({ 'a-hero': 'A' })];
  for (let i = 0; i < 1000; i++) {
    const res = await run(sessions[i % 3].code, [{ a: 'a-hero' }, { a: 'a-secret' }, { g: 'g-buy', v: i }]);
    assert.equal(res.statusCode, 200);
  }
  assert.deepEqual(await report('a-hero'), before);
  assert.equal(total(await report('a-secret')), 0);
  // and a real session right after still counts
  await run('real-after', [{ a: 'a-hero' }]);
  assert.equal(total(await report('a-hero')), 22);
});

test('a deleted QA session is counted like any visitor again', async () => {
  const qa = await newQa({ 'a-hero': 'B' });
  const gone = await t.call({
    method: 'DELETE',
    url: `/admin/${acc}/qa-sessions/${qa.code}`,
    as: { key: author },
  });
  assert.equal(gone.statusCode, 200);
  const answer = (await run(qa.code, [{ a: 'a-secret' }])).json().data;
  assert.deepEqual(answer.items, []);
});

test('the playground shows each agent’s answer and why, and writes and counts nothing', async () => {
  const before = await report('a-hero');
  const res = await t.call({
    method: 'POST',
    url: `/admin/${acc}/deploy-targets/${restTarget}/playground`,
    as: { key: (await t.key('admin-read')).secret },
    body: { session: 'play-1', inputs: { plan: 'pro' }, traits: ['F:1'], at: '2026-12-05T14:30:00.000Z' },
  });
  assert.equal(res.statusCode, 200, res.body);
  const data = res.json().data;
  assert.equal(data.session, 'play-1');
  assert.deepEqual(data.traits, ['cust/F:1']);
  assert.deepEqual(
    data.agents.map((e: { a: string; p: string | null }) => [e.a, e.p]),
    [
      ['a-hero', 'r'],
      ['a-secret', null],
    ],
  );
  assert.match(data.agents[0].why.join(' '), /random allocation/);
  assert.match(data.agents[1].why.join(' '), /QA sessions only/);
  // nothing was remembered: the same session asked for real is new (not sticky), and counted once
  const real = (await run('play-1', [{ a: 'a-hero' }])).json().data;
  assert.equal(real.items[0].p, 'r');
  const after = await report('a-hero');
  const total = (r: { variations: { sessions: number }[] }) =>
    r.variations.reduce((n, v) => n + v.sessions, 0);
  assert.equal(total(after), total(before) + 1);
});
