import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { createQaSessionService } from '../../targets/qa-sessions.js';

let t: TestApp;
let author: string;
let restTarget: string;

before(async () => {
  t = await createTestApp();
  author = (await t.key('admin-author')).secret;
  restTarget = (await t.services.deployTargets.list(t.account.id)).find((d) => d.kind === 'rest')
    ?.id as string;
});
after(() => t.close());

const cases: [string, string, (dt: string) => unknown][] = [
  ['an unknown deploy target', 'body.deployTarget', () => ({ deployTarget: 'dt-nowhere' })],
  ['no deploy target', 'body.deployTarget', () => ({})],
  [
    'a forced key that is no agent code',
    'body.forced.hero',
    (dt) => ({ deployTarget: dt, forced: { hero: 'A' } }),
  ],
  [
    'an expiry of a year',
    'body.expiresInSeconds',
    (dt) => ({ deployTarget: dt, expiresInSeconds: 31_536_000 }),
  ],
];
for (const [what, field, body] of cases) {
  test(`creating a QA session with ${what}: 400 naming ${field}`, async () => {
    const res = await t.call({
      method: 'POST',
      url: `/admin/${t.account.id}/qa-sessions`,
      as: { key: author },
      body: body(restTarget),
    });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().field, field, res.json().err);
  });
}

test('deleting an unknown QA session: 404; the playground of an unknown target: 404', async () => {
  const gone = await t.call({
    method: 'DELETE',
    url: `/admin/${t.account.id}/qa-sessions/qa-x`,
    as: { key: author },
  });
  assert.equal(gone.statusCode, 404);
  assert.equal(gone.json().code, 'qa_session_not_found');
  const play = await t.call({
    method: 'POST',
    url: `/admin/${t.account.id}/deploy-targets/dt-nowhere/playground`,
    as: { key: author },
    body: {},
  });
  assert.equal(play.statusCode, 404);
});

test('a QA session stops being one when it expires, and on another target it is none', async () => {
  let clock = Date.now();
  const qa = createQaSessionService(t.services.store.db, t.services.deployTargets, t.services.audit, {
    now: () => clock,
  });
  const made = await qa.create(t.account.id, { deployTarget: restTarget, expiresInSeconds: 60 });
  assert.equal((await qa.find(t.account.id, restTarget, made.code))?.code, made.code);
  assert.equal(await qa.find(t.account.id, 'dt-other', made.code), null);
  clock += 61_000;
  assert.equal(await qa.find(t.account.id, restTarget, made.code), null);
});
