/**
 * A QA session's recent requests and "forget" (docs/targeting.md): the console sees what each
 * request asked, answered and why; forgetting makes the QA session a new visitor again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { QA_REQUESTS_KEPT } from '../../targets/qa-sessions.js';

let t: TestApp;
let acc: string;
let author: string;
let reader: string;
let rest: string;
let restTarget: string;

before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  author = (await t.key('admin-author')).secret;
  reader = (await t.key('admin-read')).secret;
  rest = (await t.key('rest')).secret;
  restTarget = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'rest')?.id as string;
  await t.services.agents.put(acc, 'a-hero', {
    variations: Array.from({ length: 20 }, (_, i) => ({ code: `V${i}` })),
  });
});
after(() => t.close());

function run(session: string, commands: unknown[], query = '', inputs: Record<string, string> = {}) {
  return t.call({
    method: 'POST',
    url: `/${acc}/v3/agent-api?session=${encodeURIComponent(session)}${query}`,
    as: { key: rest },
    body: { commands, inputs },
  });
}

async function newQa(accountId = acc) {
  return t.services.qaSessions.create(accountId, { deployTarget: restTarget, name: 'QA' });
}

const requestsOf = (code: string, key = reader) =>
  t.call({ url: `/admin/${acc}/qa-sessions/${code}/requests`, as: { key } });
const forget = (code: string, key = author) =>
  t.call({ method: 'POST', url: `/admin/${acc}/qa-sessions/${code}/forget`, as: { key } });

describe('recent requests of a QA session', () => {
  test('appear newest first with what was asked, answered and the debug log, without debug asked', async () => {
    const qa = await newQa();
    const first = (await run(qa.code, [{ a: 'a-hero' }], '', { plan: 'pro' })).json().data;
    assert.equal(first.log, undefined, 'the answer carries no log unless debug was asked');
    await run(qa.code, [{ a: 'a-hero' }]);
    await run('a-visitor', [{ a: 'a-hero' }]);
    const res = await requestsOf(qa.code);
    assert.equal(res.statusCode, 200, res.body);
    const kept = res.json().data;
    assert.equal(kept.length, 2, 'only the QA session’s own requests');
    const [latest, earliest] = kept;
    assert.equal(earliest.deployTarget, restTarget);
    assert.deepEqual(earliest.commands, [{ a: 'a-hero' }]);
    assert.deepEqual(earliest.inputs, { plan: 'pro' });
    assert.deepEqual(earliest.items, first.items);
    assert.ok(
      earliest.log.some((line: string) => line.startsWith("Agent 'a-hero'")),
      earliest.log.join('\n'),
    );
    assert.ok(Date.parse(latest.at) >= Date.parse(earliest.at));
    assert.notDeepEqual(latest.log, earliest.log, 'the second request found the sticky selection');
  });

  test(`keep only the last ${QA_REQUESTS_KEPT}`, async () => {
    const qa = await newQa();
    for (let i = 0; i < QA_REQUESTS_KEPT + 5; i++)
      await run(qa.code, [{ a: 'a-hero' }], '', { n: String(i) });
    const kept = (await requestsOf(qa.code)).json().data as { inputs: { n: string } }[];
    assert.equal(kept.length, QA_REQUESTS_KEPT);
    assert.equal(kept[0].inputs.n, String(QA_REQUESTS_KEPT + 4));
    assert.equal(kept.at(-1)?.inputs.n, '5');
  });

  test('an unknown code, or another account’s, is 404', async () => {
    const other = await t.services.accounts.create('Other');
    const theirs = await t.services.qaSessions.create(other.id, {
      deployTarget: (await t.services.deployTargets.list(other.id))[0].id,
    });
    for (const code of ['qa-nosuchcode', theirs.code]) {
      const res = await requestsOf(code);
      assert.equal(res.statusCode, 404, res.body);
      assert.equal(res.json().code, 'qa_session_not_found');
      const gone = await forget(code);
      assert.equal(gone.statusCode, 404, gone.body);
    }
  });

  test('are deleted with their QA session', async () => {
    const qa = await newQa();
    await run(qa.code, [{ a: 'a-hero' }]);
    await t.services.qaSessions.remove(acc, qa.code);
    assert.equal((await requestsOf(qa.code)).statusCode, 404);
    await newQa(); // the table holds nothing of the removed one: a fresh code starts empty
  });
});

describe('forget', () => {
  test('resets the visitor: the next selection is made afresh, not sticky', async () => {
    const qa = await newQa();
    const sel = async () => (await run(qa.code, [{ a: 'a-hero' }], '&debug=true')).json().data;
    const first = await sel();
    assert.equal(first.items[0].p, 'r', first.log.join('\n'));
    const again = await sel();
    assert.equal(again.sels['a-hero'], first.sels['a-hero']);
    assert.equal(again.items[0].p, 's', 'sticky before forgetting');
    assert.ok(
      again.log.some((l: string) => l.includes('(sticky)')),
      again.log.join('\n'),
    );

    const res = await forget(qa.code);
    assert.equal(res.statusCode, 200, res.body);
    assert.equal(res.json().data.code, qa.code);
    assert.equal(await t.services.visitors.get(acc, qa.code), null, 'no stored state left');
    const fresh = await sel();
    assert.equal(fresh.items[0].p, 'r', fresh.log.join('\n'));
    assert.ok(
      fresh.log.some((l: string) => l.includes('random allocation')),
      fresh.log.join('\n'),
    );
  });

  test('needs the permission that creates QA sessions; reading is enough for the requests', async () => {
    const qa = await newQa();
    assert.equal((await forget(qa.code, reader)).statusCode, 403);
    assert.equal((await requestsOf(qa.code, reader)).statusCode, 200);
    assert.equal((await requestsOf(qa.code, rest)).statusCode, 403);
  });
});
