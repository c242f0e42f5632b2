import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { exampleSnapshot, fakeSnapshots } from '../../../test/helpers/runtime.js';
import { allocate } from '../../runtime/allocation.js';

interface Answer {
  session: string;
  items: Record<string, unknown>[];
  sels: Record<string, string>;
  traits: string[];
  log?: string[];
}

let t: TestApp;
let key: string;
let acc: string;
let restTarget: string;
const snapshots = fakeSnapshots();

before(async () => {
  t = await createTestApp({ services: { snapshots } });
  acc = t.account.id;
  key = (await t.key('rest')).secret;
  const targets = await t.services.deployTargets.list(acc);
  restTarget = targets.find((d) => d.kind === 'rest' && d.isDefault)?.id as string;
});
after(() => t.close());

async function run(query: string, body: unknown, headers: Record<string, string> = {}): Promise<Answer> {
  const res = await t.call({
    method: 'POST',
    url: `/${acc}/v3/agent-api?apikey=${encodeURIComponent(key)}${query ? `&${query}` : ''}`,
    body,
    headers,
  });
  assert.equal(res.statusCode, 200, res.body);
  const json = res.json();
  assert.equal(json.status, 200);
  return json.data as Answer;
}

describe('the scripted session of the issue, over HTTP', () => {
  const session = 'scripted-1';
  const q = `session=${session}`;
  const randomChoice = allocate(session, 'a-example', [
    { code: 'A', weight: 1 },
    { code: 'B', weight: 1 },
    { code: 'C', weight: 0 },
  ]) as string;

  test('first selection is random, the second sticky with the same variation; md is always present', async () => {
    const first = await run(q, { commands: [{ a: 'a-example' }] });
    assert.equal(first.session, session);
    assert.deepEqual(first.items, [
      {
        a: 'a-example',
        c: randomChoice,
        p: 'r',
        s: 'ok',
        md: { magic: randomChoice === 'A' ? 'Amagic' : '' },
      },
    ]);
    assert.deepEqual(first.sels, { 'a-example': randomChoice });
    const second = await run(q, { commands: [{ a: 'a-example' }] });
    assert.equal(second.items[0].p, 's');
    assert.equal(second.items[0].c, randomChoice);
  });

  test('provisional, then confirmed', async () => {
    const s = `${session}-prov`;
    const prov = await run(`session=${s}`, { commands: [{ a: 'a-three', s: 'p' }] });
    assert.equal(prov.items[0].s, 'p');
    assert.equal(prov.items[0].p, 'r');
    const again = await run(`session=${s}`, { commands: [{ a: 'a-three', s: 'p' }] });
    assert.equal(again.items[0].s, 'p');
    assert.equal(again.items[0].p, 's');
    const confirmed = await run(`session=${s}`, { commands: [{ a: 'a-three', s: 'ok' }] });
    assert.deepEqual(
      [confirmed.items[0].p, confirmed.items[0].s, confirmed.items[0].c],
      ['s', 'ok', prov.items[0].c],
    );
  });

  test('allowed and excluded variations are respected', async () => {
    for (let i = 0; i < 20; i++) {
      const only = await run(`session=allow-${i}`, { commands: [{ a: 'a-three', c: ['C'] }] });
      assert.equal(only.items[0].c, 'C');
      const notA = await run(`session=exclude-${i}`, { commands: [{ a: 'a-three', x: ['A', 'B'] }] });
      assert.equal(notA.items[0].c, 'C');
    }
  });

  test('a condition on an input fixes the variation (p: "f")', async () => {
    const fixed = await run('session=cond-1', { commands: [{ a: 'a-example' }], inputs: { foo: 'bar' } });
    assert.deepEqual([fixed.items[0].c, fixed.items[0].p], ['C', 'f']);
  });

  test('a paused agent answers its paused-at variation with p: "p"', async () => {
    const paused = await run(q, { commands: [{ a: 'a-paused' }] });
    assert.deepEqual(paused.items, [{ a: 'a-paused', c: 'B', p: 'p', s: 'ok', md: {} }]);
  });

  test('an unknown or stopped agent yields no item', async () => {
    const none = await run(q, { commands: [{ a: 'a-unknown' }, { a: 'a-stopped' }] });
    assert.deepEqual(none.items, []);
  });

  test('a reward is accepted once, then 0', async () => {
    const first = await run(q, { commands: [{ g: 'g-example' }] });
    assert.deepEqual(first.items, [{ g: 'g-example', rs: [{ a: 'a-example', v: 1 }] }]);
    const second = await run(q, { commands: [{ g: 'g-example', v: 5 }] });
    assert.deepEqual(second.items, [{ g: 'g-example', rs: [{ a: 'a-example', v: 0 }] }]);
  });

  test('traits from the query come back as cust/…, in order', async () => {
    const answer = await run(`session=traits-1&traits=${encodeURIComponent('F:1,color:blue')}`, {
      commands: [{ a: 'a-example' }],
    });
    assert.deepEqual(answer.traits, ['cust/F:1', 'cust/color:blue']);
    assert.deepEqual([answer.items[0].c, answer.items[0].p], ['A', 'f']);
    const later = await run('session=traits-1', { commands: [] });
    assert.deepEqual(later.traits, ['cust/F:1', 'cust/color:blue']);
  });

  test('the report counts what the session did', async () => {
    const res = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-example`,
      as: { session: t.admin },
    });
    assert.equal(res.statusCode, 200, res.body);
    const report = res.json().data;
    const variation = report.variations.find((v: { code: string }) => v.code === randomChoice);
    // scripted-1 and cond-1 (C) and traits-1 (A) are the sessions of a-example.
    const total = report.variations.reduce((n: number, v: { sessions: number }) => n + v.sessions, 0);
    assert.equal(total, 3);
    assert.ok(variation.sessions >= 1);
    assert.equal(variation.goals[0].goal, 'g-example');
    assert.equal(variation.goals[0].conversions, 1);
  });
});

describe('wire formats', () => {
  test('a bare array of commands is accepted', async () => {
    const answer = await run('session=bare-1', [{ a: 'a-example' }, { g: 'g-example' }]);
    assert.equal(answer.items.length, 2);
    assert.equal((answer.items[1] as { rs: unknown[] }).rs.length, 1);
  });

  test('the same JSON sent as text/plain is accepted, as an object or a bare array', async () => {
    const obj = await run(
      'session=plain-1',
      JSON.stringify({ commands: [{ a: 'a-example' }], inputs: { foo: 'bar' } }),
      { 'content-type': 'text/plain;charset=UTF-8' },
    );
    assert.deepEqual([obj.items[0].c, obj.items[0].p], ['C', 'f']);
    const arr = await run('session=plain-2', JSON.stringify([{ a: 'a-paused' }]), {
      'content-type': 'text/plain',
    });
    assert.equal(arr.items[0].p, 'p');
  });

  test('no session: the server makes one, and it works on the next call', async () => {
    const first = await run('', { commands: [{ a: 'a-three' }] });
    assert.match(first.session, /^[0-9A-Za-z]{22}$/);
    const again = await run(`session=${first.session}`, { commands: [{ a: 'a-three' }] });
    assert.equal(again.items[0].p, 's');
    assert.equal(again.items[0].c, first.items[0].c);
    const empty = await run('session=', { commands: [] });
    assert.notEqual(empty.session, '');
  });

  test('inputs may be numbers or booleans, compared by their string form', async () => {
    const answer = await run('session=numbers-1', {
      commands: [{ a: 'a-numeric' }],
      inputs: { n: 5, flag: true },
    });
    assert.deepEqual([answer.items[0].c, answer.items[0].p], ['B', 'f']);
  });

  test('debug=true logs each trait added and why each decision was made; ua derives ua/ traits', async () => {
    const iphone = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148';
    const answer = await run(`session=debug-1&debug=true&traits=F:1&ua=${encodeURIComponent(iphone)}`, {
      commands: [{ a: 'a-example' }, { a: 'a-nope' }],
    });
    assert.deepEqual(answer.traits, ['cust/F:1', 'ua/mo:y']);
    assert.ok(answer.log);
    assert.ok(answer.log.includes("Added trait 'cust/F:1' (apply)"), answer.log.join('\n'));
    assert.ok(answer.log.includes("Added trait 'ua/mo:y' (apply)"));
    assert.ok(answer.log.some((line) => line.includes('condition 2 matched')));
    assert.ok(answer.log.some((line) => line.includes("unknown agent 'a-nope'")));
    const quiet = await run('session=debug-1', { commands: [{ a: 'a-example' }] });
    assert.equal(quiet.log, undefined);
  });

  test('the User-Agent header is not used: only ?ua= derives traits', async () => {
    const answer = await run(
      'session=ua-header-1',
      { commands: [] },
      { 'user-agent': 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) Mobile/15E148' },
    );
    assert.deepEqual(answer.traits, []);
  });

  test('a target with nothing deployed answers no items: every agent is unknown there', async () => {
    snapshots.set(restTarget, null);
    try {
      const answer = await run('session=nothing-1&debug=true', {
        commands: [{ a: 'a-example' }, { g: 'g-example' }],
      });
      assert.deepEqual(answer.items, [{ g: 'g-example', rs: [] }]);
      assert.ok(answer.log?.some((line) => line.includes('nothing deployed')));
    } finally {
      snapshots.setAll(exampleSnapshot());
    }
  });

  test('the explicit target URL and the default one serve the same target', async () => {
    const viaDefault = await run('session=target-1', { commands: [{ a: 'a-three' }] });
    const res = await t.call({
      method: 'POST',
      url: `/${acc}/v3/agent-api/${restTarget}?session=target-1`,
      as: { key },
      body: { commands: [{ a: 'a-three' }] },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data.items[0].c, viaDefault.items[0].c);
    assert.equal(res.json().data.items[0].p, 's');
    assert.equal(res.headers['cache-control'], 'no-store');
  });

  test('a page on any origin may call it: the preflight is answered and every answer, refusals too, is readable', async () => {
    for (const url of [`/${t.account.id}/v3/agent-api`, `/${t.account.id}/v3/agent-api/${restTarget}`]) {
      const preflight = await t.call({
        method: 'OPTIONS',
        url,
        headers: {
          origin: 'https://shop.example',
          'access-control-request-method': 'POST',
          'access-control-request-headers': 'content-type, authorization',
        },
      });
      assert.equal(preflight.statusCode, 204, preflight.body);
      assert.equal(preflight.headers['access-control-allow-origin'], '*');
      assert.equal(preflight.headers['access-control-allow-methods'], 'POST');
      assert.match(String(preflight.headers['access-control-allow-headers']), /content-type, authorization/);
    }
    const refused = await t.call({ method: 'POST', url: `/${t.account.id}/v3/agent-api`, body: [] });
    assert.equal(refused.statusCode, 401);
    assert.equal(refused.headers['access-control-allow-origin'], '*', 'the page can read why it was refused');
  });

  test('/metrics counts the group commits that carried these requests', async () => {
    const res = await t.call({ url: '/metrics' });
    assert.equal(res.statusCode, 200);
    const batches = Number(/^tessera_event_batches_committed (\d+)/m.exec(res.body)?.[1]);
    const writes = Number(/^tessera_event_writes_committed (\d+)/m.exec(res.body)?.[1]);
    assert.ok(batches > 0 && writes >= batches, res.body.slice(0, 300));
    assert.match(res.body, /^tessera_visitor_cache_entries \d+/m);
    assert.match(res.body, /^tessera_snapshot_cache_targets \d+/m);
    assert.match(res.body, /^tessera_snapshot_cache_bytes \d+/m);
  });
});
