import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { putDozenAgents } from '../../../test/helpers/script-agents.js';
import { loadScript } from '../../../test/helpers/script-vm.js';
import type { Snapshot } from '../../agents/snapshot.js';
import { toDeviceSnapshot } from '../../script/device-config.js';

let t: TestApp;
let acc: string;
let jsTarget: string;
let restTarget: string;
let key: string;
let scriptUrl: string;
let bundleUrl: string;
let eventsUrl: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  await putDozenAgents(t);
  const targets = await t.services.deployTargets.list(acc);
  jsTarget = targets.find((d) => d.kind === 'js')?.id as string;
  restTarget = targets.find((d) => d.kind === 'rest')?.id as string;
  key = (await t.key('js')).secret;
  scriptUrl = `/${acc}/v3/agent-api/js/${jsTarget}?apikey=${key}`;
  bundleUrl = `/${acc}/v3/agent-api/bundle/${jsTarget}?apikey=${key}`;
  eventsUrl = `/${acc}/v3/agent-api/js/${jsTarget}/events?apikey=${key}`;
});
after(() => t.close());

const get = (url: string, headers: Record<string, string> = {}) => t.call({ url, headers });

interface ReportRow {
  code: string;
  sessions: number;
  goals: { goal: string; conversions: number; valueTotal: number }[];
}

async function report(agent: string): Promise<Map<string, ReportRow>> {
  const res = await t.call({
    url: `/admin/${acc}/reports/decision-stats/${agent}`,
    as: { session: t.admin },
  });
  assert.equal(res.statusCode, 200, res.body);
  return new Map((res.json().data.variations as ReportRow[]).map((v) => [v.code, v]));
}

const sessionsOf = (rows: Map<string, ReportRow>) => [...rows.values()].reduce((n, v) => n + v.sessions, 0);
const conversionsOf = (rows: Map<string, ReportRow>, goal: string) =>
  [...rows.values()].reduce((n, v) => n + (v.goals.find((g) => g.goal === goal)?.conversions ?? 0), 0);

describe('the script tag', () => {
  test('is JavaScript holding the deployed agents, public and cacheable', async () => {
    const res = await get(scriptUrl);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'public, max-age=60');
    assert.match(String(res.headers.etag), /^"[A-Za-z0-9_-]{32}"$/);
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assert.equal(res.headers['access-control-allow-origin'], '*');
    const page = loadScript(res.body);
    const data = page.exec([{ a: 'a-hero' }, { a: 'a-stopped' }, { a: 'a-archived' }]);
    assert.deepEqual(Object.keys(data.sels), ['a-hero']);
    assert.ok(res.body.includes('"a-checkout"'));
  });

  test('is served the same at the path Conductrics tags are pasted with (/js/f-…/dt-…)', async () => {
    const short = await get(scriptUrl);
    const pasted = `/${acc}/v3/agent-api/js/f-Xy12ab/${jsTarget}?apikey=${key}`;
    const res = await get(pasted);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.body, short.body, 'the f- segment changes nothing');
    assert.equal(res.headers['content-type'], 'application/javascript; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'public, max-age=60');
    assert.equal(res.headers.etag, short.headers.etag);
    assert.equal(res.headers['access-control-allow-origin'], '*');
    assert.equal((await get(pasted, { 'if-none-match': String(res.headers.etag) })).statusCode, 304);
    assert.equal((await get(`/${acc}/v3/agent-api/js/f-other/${jsTarget}?apikey=${key}`)).body, short.body);
    assert.deepEqual(Object.keys(loadScript(res.body).exec([{ a: 'a-hero' }]).sels), ['a-hero']);
  });

  test('leaves out console labels and agents that answer nothing', async () => {
    const { body } = await get(scriptUrl);
    for (const label of ['Hero banner', 'Challenger', 'Bought', 'a-stopped', 'a-archived', 'Old test']) {
      assert.equal(body.includes(label), false, `${label} is in the script`);
    }
  });

  test('HEAD answers the headers alone', async () => {
    const res = await t.call({ method: 'HEAD', url: scriptUrl });
    assert.equal(res.statusCode, 200);
    assert.equal(res.body, '');
    assert.equal(res.headers['cache-control'], 'public, max-age=60');
    assert.ok(res.headers.etag);
  });

  test('If-None-Match with its ETag is 304, with the caching headers and no body', async () => {
    const first = await get(scriptUrl);
    const etag = String(first.headers.etag);
    const again = await get(scriptUrl, { 'if-none-match': etag });
    assert.equal(again.statusCode, 304);
    assert.equal(again.body, '');
    assert.equal(again.headers.etag, etag);
    assert.equal(again.headers['cache-control'], 'public, max-age=60');
    assert.equal((await get(scriptUrl, { 'if-none-match': '"something-else"' })).statusCode, 200);
  });

  test('gzip and brotli when asked, each decoding to the same script, each revalidating', async () => {
    const plain = await get(scriptUrl);
    for (const [accept, encoding, decode] of [
      ['gzip', 'gzip', gunzipSync],
      ['gzip, deflate, br', 'br', brotliDecompressSync],
    ] as const) {
      const res = await get(scriptUrl, { 'accept-encoding': accept });
      assert.equal(res.statusCode, 200);
      assert.equal(res.headers['content-encoding'], encoding);
      assert.equal(res.headers.vary, 'Accept-Encoding');
      assert.equal(decode(res.rawPayload).toString('utf8'), plain.body);
      assert.ok(res.rawPayload.length < plain.rawPayload.length / 2, `${encoding} is smaller`);
      assert.notEqual(res.headers.etag, plain.headers.etag, 'each encoding is its own representation');
      const revalidated = await get(scriptUrl, {
        'accept-encoding': accept,
        'if-none-match': String(res.headers.etag),
      });
      assert.equal(revalidated.statusCode, 304);
    }
    assert.equal((await get(scriptUrl)).headers['content-encoding'], undefined);
  });

  test('a deployment changes the script and its ETag at once', async () => {
    const before = await get(scriptUrl);
    await t.services.agents.put(acc, 'a-new', { variations: [{ code: 'A', weight: 1 }] });
    const after = await get(scriptUrl, { 'if-none-match': String(before.headers.etag) });
    assert.equal(after.statusCode, 200);
    assert.notEqual(after.headers.etag, before.headers.etag);
    assert.deepEqual(loadScript(after.body).exec([{ a: 'a-new' }]).sels, { 'a-new': 'A' });
    await t.services.agents.remove(acc, 'a-new');
  });

  test('a manual target serves only what was deployed to it, nothing before its first deployment', async () => {
    const manual = await t.services.deployTargets.create(acc, {
      name: 'Staging JS',
      kind: 'js',
      deployMode: 'manual',
    });
    const url = `/${acc}/v3/agent-api/js/${manual.id}?apikey=${key}`;
    const empty = await get(url);
    assert.equal(empty.statusCode, 200, empty.body);
    assert.deepEqual(loadScript(empty.body).exec([{ a: 'a-hero' }]).items, []);
    await t.services.deployments.deploy(acc, manual.id);
    const deployed = await get(url);
    assert.deepEqual(Object.keys(loadScript(deployed.body).exec([{ a: 'a-hero' }]).sels), ['a-hero']);
  });

  test('the max-age comes from TESSERA_SCRIPT_MAX_AGE', async () => {
    const previous = process.env.TESSERA_SCRIPT_MAX_AGE;
    process.env.TESSERA_SCRIPT_MAX_AGE = '5';
    const other = await createTestApp();
    try {
      const js = (await other.services.deployTargets.list(other.account.id)).find((d) => d.kind === 'js');
      const otherKey = (await other.key('js')).secret;
      for (const kind of ['js', 'bundle']) {
        const res = await other.call({
          url: `/${other.account.id}/v3/agent-api/${kind}/${js?.id}?apikey=${otherKey}`,
        });
        assert.equal(res.headers['cache-control'], 'public, max-age=5');
      }
    } finally {
      if (previous === undefined) delete process.env.TESSERA_SCRIPT_MAX_AGE;
      else process.env.TESSERA_SCRIPT_MAX_AGE = previous;
      await other.close();
    }
  });
});

describe('the native bundle', () => {
  test('is the deployed configuration as JSON, in the documented shape, cacheable', async () => {
    const res = await get(bundleUrl);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['content-type'], 'application/json; charset=utf-8');
    assert.equal(res.headers['cache-control'], 'public, max-age=60');
    const body = res.json();
    assert.equal(body.status, 200);
    const snapshot = (await t.services.snapshots.get(acc, jsTarget)) as Snapshot;
    const device = JSON.parse(JSON.stringify(toDeviceSnapshot(snapshot)));
    assert.deepEqual(body.data, {
      format: 1,
      account: acc,
      deployTarget: jsTarget,
      version: snapshot.version,
      eventsPath: `/${acc}/v3/agent-api/js/${jsTarget}/events`,
      agents: device.agents,
      goals: device.goals,
    });
    assert.deepEqual(Object.keys(body.data), [
      'format',
      'account',
      'deployTarget',
      'version',
      'eventsPath',
      'agents',
      'goals',
    ]);
    assert.deepEqual(body.data.agents['a-hero'], {
      code: 'a-hero',
      status: 'running',
      pausedAt: null,
      metaKeys: ['headline'],
      variations: [
        { code: 'A', weight: 1, meta: { headline: 'Welcome back' } },
        { code: 'B', weight: 1, meta: { headline: 'Half price today' } },
      ],
      conditions: [],
      goals: ['g-buy', 'g-revenue'],
    });
    assert.deepEqual(body.data.goals['g-revenue'], { code: 'g-revenue', value: 25 });
    const revalidated = await get(bundleUrl, { 'if-none-match': String(res.headers.etag) });
    assert.equal(revalidated.statusCode, 304);
    const gz = await get(bundleUrl, { 'accept-encoding': 'gzip' });
    assert.equal(gunzipSync(gz.rawPayload).toString('utf8'), res.body);
  });
});

describe('browser events', () => {
  test("land in the same reports as the runtime API's, counted once per session however often sent", async () => {
    const { body } = await get(scriptUrl);
    const page = loadScript(body);
    const expected = new Map<string, { sessions: number; bought: number }>();
    for (let i = 0; i < 30; i++) {
      const commands: unknown[] = [{ a: 'a-checkout' }];
      if (i % 3 === 0) commands.push({ g: 'g-buy' });
      const data = page.exec(commands, { session: `beacon-${i}` });
      const row = expected.get(data.sels['a-checkout']) ?? { sessions: 0, bought: 0 };
      row.sessions++;
      if (i % 3 === 0) row.bought++;
      expected.set(data.sels['a-checkout'], row);
      page.runTimers();
    }
    assert.equal(page.sent.length, 30);
    const deliver = async () => {
      for (const beacon of page.sent) {
        const url = new URL(beacon.url);
        assert.equal(url.pathname + url.search, eventsUrl);
        const res = await t.call({
          method: 'POST',
          url: eventsUrl,
          headers: { 'content-type': 'text/plain;charset=UTF-8', origin: 'https://shop.example' },
          body: beacon.body,
        });
        assert.equal(res.statusCode, 200, res.body);
        assert.equal(res.headers['access-control-allow-origin'], '*');
        assert.equal(res.json().data.ignored, 0);
      }
    };
    await deliver();
    const counted = await report('a-checkout');
    for (const [variation, row] of expected) {
      assert.equal(counted.get(variation)?.sessions, row.sessions, `sessions of ${variation}`);
      assert.equal(
        counted.get(variation)?.goals.find((g) => g.goal === 'g-buy')?.conversions,
        row.bought,
        `conversions of ${variation}`,
      );
    }
    await deliver(); // every beacon again: a replay counts nothing
    assert.deepEqual(await report('a-checkout'), counted);

    // The runtime API adds to the same report; a session it already counted from a beacon stays one.
    const rest = (await t.key('rest')).secret;
    for (const session of ['beacon-0', 'runtime-only']) {
      const res = await t.call({
        method: 'POST',
        url: `/${acc}/v3/agent-api/${restTarget}?apikey=${rest}&session=${session}`,
        body: { commands: [{ a: 'a-checkout' }, { g: 'g-buy' }] },
      });
      assert.equal(res.statusCode, 200, res.body);
    }
    const both = await report('a-checkout');
    assert.equal(sessionsOf(both), 31);
    assert.equal(conversionsOf(both, 'g-buy'), 11);
  });

  test('are accepted as application/json too, and say what they ignored', async () => {
    const res = await t.call({
      method: 'POST',
      url: eventsUrl,
      body: {
        session: 'json-1',
        events: [
          { a: 'a-hero', c: 'B' },
          { g: 'g-revenue', a: 'a-hero', c: 'B', v: 40 },
          { a: 'a-hero', c: 'Z' },
          { a: 'a-stopped', c: 'A' },
        ],
      },
    });
    assert.deepEqual(res.json(), { status: 200, data: { accepted: 2, ignored: 2 } });
    assert.equal(res.headers['cache-control'], 'no-store');
    const hero = await report('a-hero');
    assert.equal(hero.get('B')?.goals.find((g) => g.goal === 'g-revenue')?.valueTotal, 40);
  });

  test('with a key that names allowed origins, CORS answers those origins', async () => {
    const { key: limited, secret } = await t.services.keys.createKey(
      acc,
      { kind: 'js', name: 'shop only', allowedOrigins: ['https://shop.example'] },
      'test',
    );
    assert.deepEqual(limited.allowedOrigins, ['https://shop.example']);
    const url = `/${acc}/v3/agent-api/js/${jsTarget}/events?apikey=${secret}`;
    const preflight = await t.call({
      method: 'OPTIONS',
      url,
      headers: {
        origin: 'https://shop.example',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'content-type',
      },
    });
    assert.equal(preflight.statusCode, 204);
    assert.equal(preflight.headers['access-control-allow-origin'], 'https://shop.example');
    assert.match(String(preflight.headers['access-control-allow-methods']), /POST/);
    assert.match(String(preflight.headers['access-control-allow-headers']), /content-type/);
    assert.equal(preflight.headers.vary, 'Origin');
    const res = await t.call({
      method: 'POST',
      url,
      headers: { origin: 'https://shop.example', 'content-type': 'application/json' },
      body: JSON.stringify({ session: 'cors-1', events: [{ a: 'a-hero', c: 'A' }] }),
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.headers['access-control-allow-origin'], 'https://shop.example');
    assert.equal(res.headers.vary, 'Origin');
  });

  test("of a live QA session on this target are never counted; a normal session's still are", async () => {
    const qa = await t.services.qaSessions.create(acc, { deployTarget: jsTarget, name: 'beacon QA' });
    const before = await report('a-hero');
    const send = async (session: string) => {
      const res = await t.call({
        method: 'POST',
        url: eventsUrl,
        body: {
          session,
          events: [
            { a: 'a-hero', c: 'B' },
            { g: 'g-revenue', a: 'a-hero', c: 'B', v: 7 },
          ],
        },
      });
      assert.deepEqual(res.json(), { status: 200, data: { accepted: 2, ignored: 0 } });
    };
    await send(qa.code);
    await send(qa.code);
    assert.deepEqual(await report('a-hero'), before, 'QA beacons change nothing in the report');

    await send('not-qa-1');
    const after = await report('a-hero');
    assert.equal(after.get('B')?.sessions, (before.get('B')?.sessions ?? 0) + 1);
    const revenue = (rows: Map<string, ReportRow>) =>
      rows.get('B')?.goals.find((g) => g.goal === 'g-revenue')?.conversions ?? 0;
    assert.equal(revenue(after), revenue(before) + 1);
  });
});
