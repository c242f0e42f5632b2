/**
 * A JS target's visitor storage: localStorage (the default) or a first-party cookie on a domain
 * its subdomains share. The settings through the Admin API, into the script at once; the cookie
 * holds the same state localStorage would (so the same decisions), kept under a browser's limit.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { loadScript } from '../../../test/helpers/script-vm.js';

let t: TestApp;
let acc: string;
let jsTarget: string;
let scriptUrl: string;
const MANY = 60;
// long codes, so that MANY selections are far more than a cookie holds
const manyCode = (i: number) => `a-many-${String(i).padStart(3, '0')}-${'x'.repeat(40)}`;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  await t.services.goals.put(acc, 'g-buy', { name: 'Bought' });
  await t.services.agents.put(acc, 'a-hero', {
    variations: [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 1 },
      { code: 'C', weight: 1 },
    ],
  });
  for (let i = 0; i < MANY; i++) {
    await t.services.agents.put(acc, manyCode(i), { variations: [{ code: 'A' }, { code: 'B' }] });
  }
  jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id as string;
  scriptUrl = `/${acc}/v3/agent-api/js/${jsTarget}?apikey=${(await t.key('js')).secret}`;
});
after(() => t.close());

const patch = (dt: string, body: unknown) =>
  t.call({ method: 'PATCH', url: `/admin/${acc}/deploy-targets/${dt}`, as: { session: t.admin }, body });
const script = async () => (await t.call({ url: scriptUrl })).body;
const cookieName = () => `tessera_${acc}`;
const stateKey = () => `tessera:${acc}`;

describe('visitor storage on a JS target', () => {
  test('is localStorage by default; cookie storage and its domain are settable and readable', async () => {
    const list = await t.call({ url: `/admin/${acc}/deploy-targets`, as: { session: t.admin } });
    for (const target of list.json().data) {
      assert.equal(target.visitorStorage, 'localStorage');
      assert.equal(target.cookieDomain, null);
    }
    const res = await patch(jsTarget, { visitorStorage: 'cookie', cookieDomain: '.Example.COM' });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data.visitorStorage, 'cookie');
    assert.equal(res.json().data.cookieDomain, '.example.com', 'kept in lower case');
    const read = await t.call({ url: `/admin/${acc}/deploy-targets`, as: { session: t.admin } });
    const js = read.json().data.find((d: { code: string }) => d.code === jsTarget);
    assert.equal(js.visitorStorage, 'cookie');
    assert.equal(js.cookieDomain, '.example.com');
    // what GET answered is accepted back
    assert.equal((await patch(jsTarget, js)).statusCode, 200);
    // a cookie on the page's own host name: no domain
    const own = await patch(jsTarget, { cookieDomain: null });
    assert.equal(own.json().data.cookieDomain, null);
    assert.equal(own.json().data.visitorStorage, 'cookie');
    // switching back to localStorage drops the domain, which only a cookie has
    await patch(jsTarget, { cookieDomain: 'example.com' });
    const back = await patch(jsTarget, { visitorStorage: 'localStorage' });
    assert.equal(back.json().data.visitorStorage, 'localStorage');
    assert.equal(back.json().data.cookieDomain, null);
  });

  test('a new JS target may be created with cookie storage', async () => {
    const res = await t.call({
      method: 'POST',
      url: `/admin/${acc}/deploy-targets`,
      as: { session: t.admin },
      body: { name: 'Shops', kind: 'js', visitorStorage: 'cookie', cookieDomain: 'shop.example' },
    });
    assert.equal(res.statusCode, 201, res.body);
    assert.equal(res.json().data.visitorStorage, 'cookie');
    assert.equal(res.json().data.cookieDomain, 'shop.example');
    const audit = await t.call({ url: `/admin/${acc}/audit`, as: { session: t.admin } });
    assert.match(audit.body, /"visitorStorage":"cookie"/, 'the settings are in the audit log');
  });

  test('the cookie keeps the same state localStorage keeps, so the same decisions', async () => {
    await patch(jsTarget, { visitorStorage: 'localStorage' });
    const inLocal = loadScript(await script());
    await patch(jsTarget, { visitorStorage: 'cookie', cookieDomain: 'example.com' });
    const cookieScript = await script();
    const inCookie = loadScript(cookieScript, { pageUrl: 'https://www.example.com/' });
    for (const session of ['s-1', 's-2', 's-3', 's-4', 's-5', 's-6']) {
      const commands = [{ a: 'a-hero' }, { g: 'g-buy' }, { a: 'a-hero' }];
      assert.deepEqual(inCookie.exec(commands, { session }), inLocal.exec(commands, { session }));
      const kept = decodeURIComponent(inCookie.cookies.get(cookieName()) ?? '');
      assert.equal(kept, inLocal.storage.get(stateKey()), 'the same state, kept elsewhere');
    }
    assert.equal(inCookie.storage.has(stateKey()), false, 'no state in localStorage');
    const written = inCookie.cookieWrites.at(-1) ?? '';
    assert.match(written, /; Domain=example\.com/);
    assert.match(written, /; SameSite=Lax/);
    assert.match(written, /; Path=\//);
    assert.match(written, /; Max-Age=34560000/);
    assert.match(written, /; Secure/, 'Secure on an https page');
    const plain = loadScript(cookieScript, { pageUrl: 'http://www.example.com/' });
    plain.exec([{ a: 'a-hero' }]);
    assert.doesNotMatch(plain.cookieWrites.at(-1) ?? '', /Secure/, 'an http page could not set it');
  });

  test('a visitor kept in localStorage keeps their session and variation when the target turns to cookies', async () => {
    await patch(jsTarget, { visitorStorage: 'localStorage' });
    const storage = new Map<string, string>();
    const before = loadScript(await script(), { storage }).exec([{ a: 'a-hero' }]);
    await patch(jsTarget, { visitorStorage: 'cookie', cookieDomain: null });
    const page = loadScript(await script(), { storage });
    const after = page.exec([{ a: 'a-hero' }]);
    assert.equal(after.session, before.session);
    assert.deepEqual(after.sels, before.sels);
    assert.equal(after.items[0] && 'p' in after.items[0] ? after.items[0].p : null, 's', 'held: sticky');
    page.exec([{ a: manyCode(0) }]);
    assert.ok(page.cookies.has(cookieName()), 'moved into the cookie');
    assert.doesNotMatch(page.cookieWrites.at(-1) ?? '', /Domain=/, 'no domain: the page host');
    assert.equal(storage.has(stateKey()), false, 'and out of localStorage');
  });

  test('a cookie stays under 3.5 KB: the oldest selections are dropped, the newest and the session kept', async () => {
    await patch(jsTarget, { visitorStorage: 'cookie', cookieDomain: 'example.com' });
    const page = loadScript(await script());
    let session = '';
    for (let i = 0; i < MANY; i++) {
      session = page.exec([{ a: manyCode(i) }]).session;
      const value = page.cookies.get(cookieName()) ?? '';
      assert.ok(value.length <= 3500, `selection ${i}: ${value.length} bytes`);
    }
    const state = JSON.parse(decodeURIComponent(page.cookies.get(cookieName()) ?? '')) as {
      session: string;
      state: { selections: Record<string, unknown> };
    };
    assert.equal(state.session, session);
    const kept = Object.keys(state.state.selections);
    assert.ok(kept.length > 10 && kept.length < MANY, `${kept.length} kept`);
    assert.deepEqual(
      kept,
      Array.from({ length: kept.length }, (_, i) => manyCode(MANY - kept.length + i)),
    );
    // localStorage has room for them all: nothing is dropped there
    await patch(jsTarget, { visitorStorage: 'localStorage' });
    const local = loadScript(await script());
    for (let i = 0; i < MANY; i++) local.exec([{ a: manyCode(i) }]);
    const all = JSON.parse(local.storage.get(stateKey()) ?? '{}') as { state: { selections: object } };
    assert.equal(Object.keys(all.state.selections).length, MANY);
  });

  test('changing either setting changes the script at once', async () => {
    await patch(jsTarget, { visitorStorage: 'localStorage' });
    const inLocal = await script();
    await patch(jsTarget, { visitorStorage: 'cookie' });
    const inCookie = await script();
    assert.notEqual(inCookie, inLocal);
    await patch(jsTarget, { cookieDomain: 'example.com' });
    assert.notEqual(await script(), inCookie);
  });
});
