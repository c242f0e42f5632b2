/**
 * The script tag's client as a page sees it: the built script run in node:vm with a fake window.
 */
import assert from 'node:assert/strict';
import { before, describe, test } from 'node:test';
import { exampleSnapshot } from '../../test/helpers/runtime.js';
import { loadScript, type PageOptions } from '../../test/helpers/script-vm.js';
import { allocate } from '../runtime/allocation.js';
import { toDeviceSnapshot } from './device-config.js';
import { buildScript } from './script-builder.js';

const ACC = 'acc-Client0001';
const DT = 'dt-Client01';
const KEY = 'tess_js_exampleexampleexampleexample000000';
const SCRIPT_SRC = `https://tessera.example/${ACC}/v3/agent-api/js/${DT}?apikey=${KEY}`;
const EVENTS_URL = `https://tessera.example/${ACC}/v3/agent-api/js/${DT}/events?apikey=${KEY}`;

let script: string;
before(async () => {
  script = await buildScript({
    account: ACC,
    target: DT,
    key: KEY,
    origin: null,
    snapshot: toDeviceSnapshot(exampleSnapshot()),
  });
});

const open = (options: PageOptions = {}) => loadScript(script, { scriptSrc: SCRIPT_SRC, ...options });

function sentEvents(page: ReturnType<typeof open>) {
  return page.sent.map((s) => ({ url: s.url, via: s.via, ...JSON.parse(s.body) }));
}

describe('the script tag in a page', () => {
  test('exposes Tessera.ClientApi, and the same API as window.Conductrics', () => {
    const page = open();
    const tessera = page.global('Tessera') as { ClientApi: unknown; version: number };
    assert.equal(typeof tessera.ClientApi, 'function');
    assert.equal(page.global('Conductrics'), tessera);
    assert.equal(tessera.version, 1, 'the deployed configuration version it carries');
  });

  test('adds ClientApi to an existing window.Conductrics, keeping everything already on it', () => {
    const handler = () => 'the page handler';
    const theirs = { settings: { debug: true }, handler, flush: 'the page flush' };
    const page = open({ globals: { Conductrics: theirs } });
    const conductrics = page.global('Conductrics') as Record<string, unknown>;
    assert.ok(conductrics === (theirs as unknown), 'the same object, not a new one');
    assert.deepEqual(conductrics.settings, { debug: true });
    assert.equal(conductrics.handler, handler);
    assert.equal(conductrics.flush, 'the page flush', 'what was there is never replaced');
    const tessera = page.global('Tessera') as { ClientApi: unknown };
    assert.equal(conductrics.ClientApi, tessera.ClientApi);
    const Api = conductrics.ClientApi as new () => {
      exec(c: unknown, cb: (e: unknown, d: { sels: object }) => void): void;
    };
    let sels: object | undefined;
    new Api().exec([{ a: 'a-example' }], (_err, data) => {
      sels = data.sels;
    });
    assert.deepEqual(Object.keys(sels ?? {}), ['a-example']);
  });

  test("answers like the runtime API's data: items, sels, traits, session", () => {
    const page = open();
    const data = page.exec([{ a: 'a-example' }, { a: 'a-paused' }, { a: 'a-stopped' }, { a: 'a-unknown' }], {
      session: 's-shape',
      traits: 'F:0,plan:gold',
      ua: 'Mozilla/5.0 (X11; Linux x86_64)',
    });
    const c = allocate('s-shape', 'a-example', [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 1 },
      { code: 'C', weight: 0 },
    ]);
    assert.deepEqual(data, {
      session: 's-shape',
      items: [
        { a: 'a-example', c, p: 'r', s: 'ok', md: { magic: c === 'A' ? 'Amagic' : '' } },
        { a: 'a-paused', c: 'B', p: 'p', s: 'ok', md: {} },
      ],
      sels: { 'a-example': c, 'a-paused': 'B' },
      traits: ['cust/F:0', 'cust/plan:gold', 'ua/mo:n'],
    });
  });

  test('the browser User-Agent gives the ua/ traits by default; inputs reach conditions', () => {
    const page = open({ userAgent: 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile' });
    const data = page.exec({ commands: [{ a: 'a-example' }], inputs: { foo: 'bar' } }, { session: 's-ua' });
    assert.deepEqual(data.traits, ['ua/mo:y']);
    assert.deepEqual(data.items[0], { a: 'a-example', c: 'C', p: 'f', s: 'ok', md: { magic: '' } });
  });

  test('makes a session, keeps it in localStorage, and answers the same variation after a reload', () => {
    const storage = new Map<string, string>();
    const first = open({ storage }).exec([{ a: 'a-three' }]);
    assert.match(first.session, /^[0-9A-Za-z]{22}$/);
    assert.equal(first.items[0] && 'p' in first.items[0] ? first.items[0].p : '', 'r');
    assert.ok(storage.has(`tessera:${ACC}`));
    const reloaded = open({ storage }).exec([{ a: 'a-three' }]);
    assert.equal(reloaded.session, first.session);
    assert.deepEqual(reloaded.sels, first.sels);
    assert.equal(reloaded.items[0] && 'p' in reloaded.items[0] ? reloaded.items[0].p : '', 's');
  });

  test('without localStorage the state lives in a cookie, and a reload is still sticky', () => {
    const cookies = new Map<string, string>();
    const page = open({ localStorage: false, cookies });
    const first = page.exec([{ a: 'a-three' }]);
    assert.ok(
      [...cookies.keys()].some((k) => k.startsWith('tessera')),
      'a cookie was set',
    );
    const reloaded = open({ localStorage: false, cookies }).exec([{ a: 'a-three' }]);
    assert.equal(reloaded.session, first.session);
    assert.deepEqual(reloaded.sels, first.sels);
    page.runTimers();
    assert.equal(page.sent.length, 1, 'events are still sent (queued in memory)');
  });

  test('sends counted selections and accepted rewards once, batched, by beacon to the events URL', () => {
    const page = open();
    const options = { session: 's-events' };
    const sel = page.exec([{ a: 'a-example' }], options);
    page.exec([{ a: 'a-example' }], options); // sticky: nothing new to count
    page.exec([{ g: 'g-example' }, { g: 'g-example' }], options); // the second credits 0
    assert.equal(page.sent.length, 0, 'nothing is sent before the batch timer');
    page.runTimers();
    assert.deepEqual(sentEvents(page), [
      {
        url: EVENTS_URL,
        via: 'beacon',
        session: 's-events',
        events: [
          { a: 'a-example', c: sel.sels['a-example'] },
          { g: 'g-example', a: 'a-example', c: sel.sels['a-example'], v: 1 },
        ],
      },
    ]);
    page.exec([{ a: 'a-example' }, { g: 'g-example' }], options);
    page.runTimers();
    assert.equal(page.sent.length, 1, 'a repeated selection or reward sends nothing');
  });

  test('a provisional selection is sent only once confirmed; a paused agent never', () => {
    const page = open();
    const options = { session: 's-provisional' };
    page.exec([{ a: 'a-three', s: 'p' }, { a: 'a-paused' }], options);
    page.runTimers();
    assert.equal(page.sent.length, 0);
    const confirmed = page.exec([{ a: 'a-three', s: 'ok' }], options);
    page.runTimers();
    assert.deepEqual(sentEvents(page)[0].events, [{ a: 'a-three', c: confirmed.sels['a-three'] }]);
  });

  test('events not sent before the visitor left are sent by the next page', () => {
    const storage = new Map<string, string>();
    const gone = open({ storage, beacon: false });
    gone.exec([{ a: 'a-example' }], { session: 's-left' });
    // The page is gone before its timer ran: nothing was sent.
    assert.equal(gone.sent.length, 0);
    const next = open({ storage });
    next.runTimers();
    assert.equal(next.sent.length, 1);
    assert.equal(JSON.parse(next.sent[0].body).session, 's-left');
  });

  test('leaving the page (pagehide) sends what is queued at once', () => {
    const page = open();
    page.exec([{ a: 'a-example' }], { session: 's-pagehide' });
    page.leave();
    assert.equal(page.sent.length, 1);
  });

  test('without sendBeacon, events go by fetch as text/plain; TESSERA_PUBLIC_URL decides where', async () => {
    const elsewhere = await buildScript({
      account: ACC,
      target: DT,
      key: KEY,
      origin: 'https://events.example.net',
      snapshot: toDeviceSnapshot(exampleSnapshot()),
    });
    const page = loadScript(elsewhere, { beacon: false, scriptSrc: SCRIPT_SRC });
    page.exec([{ a: 'a-example' }], { session: 's-fetch' });
    page.runTimers();
    assert.equal(page.sent[0].via, 'fetch');
    assert.equal(
      page.sent[0].url,
      `https://events.example.net/${ACC}/v3/agent-api/js/${DT}/events?apikey=${KEY}`,
    );
  });

  test('a session given by the page starts its own state; debug adds the log', () => {
    const storage = new Map<string, string>();
    const page = open({ storage });
    page.exec([{ a: 'a-example' }], { session: 'user-1' });
    const other = page.exec([{ a: 'a-example' }], { session: 'user-2', debug: true });
    assert.equal(other.session, 'user-2');
    assert.equal(
      other.items[0] && 'p' in other.items[0] ? other.items[0].p : '',
      'r',
      'not sticky to user-1',
    );
    assert.ok(Array.isArray(other.log) && other.log.length > 0);
  });

  test('bad input reaches the callback as an error, and the promise form rejects', async () => {
    const page = open();
    assert.throws(() => page.exec('a-example'), /list of commands/);
    assert.throws(() => page.exec([{ a: 'a-example' }], { session: 'x'.repeat(257) }), /at most 256/);
    const api = page.global('Tessera') as {
      ClientApi: new () => { exec(c: unknown): PromiseLike<{ sels: Record<string, string> }> };
    };
    const data = await new api.ClientApi().exec([{ a: 'a-three' }]);
    assert.equal(typeof data.sels['a-three'], 'string');
    await assert.rejects(async () => {
      await new api.ClientApi().exec(42);
    }, /list of commands/);
  });
});
