/**
 * A draft agent (spec section 1: being prepared, answers nothing) through every surface: the Admin
 * API keeps the status, the runtime API, the script tag and the bundle answer nothing for it and
 * count nothing, and the console shows it as "Draft". Running it then answers as usual.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { getPage } from '../../../test/helpers/console.js';
import { loadScript } from '../../../test/helpers/script-vm.js';

let t: TestApp;
let acc: string;
let restKey: string;
let jsKey: string;
let jsTarget: string;
const definition = {
  name: 'Prepared banner',
  variations: [
    { code: 'A', weight: 1 },
    { code: 'B', weight: 1 },
  ],
};

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  restKey = (await t.key('rest')).secret;
  jsKey = (await t.key('js')).secret;
  jsTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js')?.id as string;
  const put = await t.call({
    method: 'PUT',
    url: `/admin/${acc}/agents/a-prepared`,
    as: { session: t.admin },
    body: { ...definition, status: 'draft' },
  });
  assert.equal(put.statusCode, 201, put.body);
});
after(() => t.close());

const select = (session: string) =>
  t.call({
    method: 'POST',
    url: `/${acc}/v3/agent-api?apikey=${restKey}&session=${session}`,
    body: { commands: [{ a: 'a-prepared' }] },
  });

async function sessionsCounted(): Promise<number> {
  const res = await t.call({
    url: `/admin/${acc}/reports/decision-stats/a-prepared`,
    as: { session: t.admin },
  });
  if (res.statusCode === 404) return 0; // never deployed nor counted
  return (res.json().data.variations as { sessions: number }[]).reduce((n, v) => n + v.sessions, 0);
}

describe('a draft agent', () => {
  test('the Admin API keeps the status', async () => {
    const res = await t.call({ url: `/admin/${acc}/agents/a-prepared`, as: { session: t.admin } });
    assert.equal(res.json().data.status, 'draft');
  });

  test('the runtime API answers no item for it and counts nothing', async () => {
    const res = await select('draft-1');
    assert.equal(res.statusCode, 200, res.body);
    assert.deepEqual(res.json().data.items, []);
    assert.deepEqual(res.json().data.sels, {});
    assert.equal(await sessionsCounted(), 0);
  });

  test('the script tag and the bundle leave it out', async () => {
    const script = await t.call({ url: `/${acc}/v3/agent-api/js/${jsTarget}?apikey=${jsKey}` });
    assert.equal(script.body.includes('a-prepared'), false);
    assert.deepEqual(loadScript(script.body).exec([{ a: 'a-prepared' }]).items, []);
    const bundle = await t.call({ url: `/${acc}/v3/agent-api/bundle/${jsTarget}?apikey=${jsKey}` });
    assert.equal(bundle.json().data.agents['a-prepared'], undefined);
  });

  test('the console shows it as Draft in the list and the editor', async () => {
    const list = await getPage(t, `/console/${acc}/agents`, { as: t.admin });
    assert.match(list.body, /class="tag status-draft"[^>]*>Draft</);
    const editor = await getPage(t, `/console/${acc}/agents/a-prepared`, { as: t.admin });
    assert.match(editor.body, /<input[^>]*value="draft"[^>]*checked/);
  });

  test('once running, it answers and counts', async () => {
    await t.services.agents.put(acc, 'a-prepared', { ...definition, status: 'running' });
    const res = await select('draft-2');
    assert.equal(res.json().data.items.length, 1, res.body);
    assert.equal(await sessionsCounted(), 1);
  });
});
