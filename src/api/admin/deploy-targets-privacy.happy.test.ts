/**
 * A JS target that honours privacy signals: the setting through the Admin API, into the script at
 * once, and a visitor sending Do-Not-Track or Global Privacy Control answered with the paused-at
 * (or first) variation, policy `p`, with nothing sent or stored.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { loadScript } from '../../../test/helpers/script-vm.js';

let t: TestApp;
let acc: string;
let jsTarget: string;
let scriptUrl: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  await t.services.goals.put(acc, 'g-buy', { name: 'Bought' });
  await t.services.agents.put(acc, 'a-hero', {
    variations: [
      { code: 'A', weight: 0 },
      { code: 'B', weight: 1 },
    ],
  });
  await t.services.agents.put(acc, 'a-pinned', {
    status: 'running',
    pausedAt: 'B',
    variations: [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 0 },
    ],
  });
  jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id as string;
  scriptUrl = `/${acc}/v3/agent-api/js/${jsTarget}?apikey=${(await t.key('js')).secret}`;
});
after(() => t.close());

const patch = (dt: string, body: unknown) =>
  t.call({ method: 'PATCH', url: `/admin/${acc}/deploy-targets/${dt}`, as: { session: t.admin }, body });

const DNT = { doNotTrack: '1' };
const GPC = { globalPrivacyControl: true };

describe('honouring privacy signals on a JS target', () => {
  test('is off by default, and settable and readable through the Admin API', async () => {
    const list = await t.call({ url: `/admin/${acc}/deploy-targets`, as: { session: t.admin } });
    for (const target of list.json().data) assert.equal(target.honourPrivacySignals, false);
    const res = await patch(jsTarget, { honourPrivacySignals: true });
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data.honourPrivacySignals, true);
    const read = await t.call({ url: `/admin/${acc}/deploy-targets`, as: { session: t.admin } });
    const js = read.json().data.find((d: { code: string }) => d.code === jsTarget);
    assert.equal(js.honourPrivacySignals, true);
  });

  test('a visitor sending DNT or GPC gets the paused-at or first variation, and nothing is sent or stored', async () => {
    await patch(jsTarget, { honourPrivacySignals: true });
    const script = (await t.call({ url: scriptUrl })).body;
    for (const signal of [DNT, GPC]) {
      const page = loadScript(script, { navigator: signal });
      const data = page.exec([{ a: 'a-hero' }, { a: 'a-pinned' }, { g: 'g-buy' }]);
      assert.deepEqual(
        data.items.slice(0, 2).map((i) => ('c' in i ? [i.a, i.c, i.p] : null)),
        [
          ['a-hero', 'A', 'p'],
          ['a-pinned', 'B', 'p'],
        ],
      );
      page.runTimers();
      page.leave();
      assert.deepEqual(page.sent, [], 'nothing sent');
      assert.equal(page.storage.size, 0, 'nothing stored');
      assert.equal(page.cookies.size, 0, 'no cookie either');
    }
  });

  test('a visitor without a signal is tracked as usual', async () => {
    await patch(jsTarget, { honourPrivacySignals: true });
    const page = loadScript((await t.call({ url: scriptUrl })).body, { navigator: { doNotTrack: '0' } });
    const data = page.exec([{ a: 'a-hero' }]);
    assert.equal(data.items[0] && 'c' in data.items[0] ? data.items[0].c : null, 'B');
    page.runTimers();
    assert.equal(page.sent.length, 1, 'the selection is sent');
  });

  test('off, the signals are not looked at; switching it changes the script at once', async () => {
    await patch(jsTarget, { honourPrivacySignals: false });
    const off = (await t.call({ url: scriptUrl })).body;
    const page = loadScript(off, { navigator: { ...DNT, ...GPC } });
    page.exec([{ a: 'a-hero' }]);
    page.runTimers();
    assert.equal(page.sent.length, 1, 'tracked: the target does not honour the signals');
    await patch(jsTarget, { honourPrivacySignals: true });
    assert.notEqual((await t.call({ url: scriptUrl })).body, off);
  });
});
