import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { ADMIN_EMAIL, ADMIN_PASSWORD, createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { getPage, postForm } from '../../../test/helpers/console.js';

let t: TestApp;
let base: string;
let restTarget: string;
before(async () => {
  t = await createTestApp();
  base = `/console/${t.account.id}/qa`;
  restTarget = (await t.services.deployTargets.list(t.account.id)).find((d) => d.kind === 'rest')
    ?.id as string;
  await t.services.agents.put(t.account.id, 'a-hero', { variations: [{ code: 'A' }, { code: 'B' }] });
});
after(() => t.close());

test('a person creates a QA session, evaluates it in the playground, and deletes it', async () => {
  const me = await t.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  assert.match((await getPage(t, base, { as: me })).body, /No QA sessions/);
  const made = await postForm(
    t,
    base,
    { deployTarget: restTarget, name: 'Hero check', forced: 'a-hero=B', hours: '2' },
    { as: me },
  );
  assert.equal(made.statusCode, 204, made.body);
  const [qa] = await t.services.qaSessions.list(t.account.id);
  assert.deepEqual(qa.forced, { 'a-hero': 'B' });
  assert.match((await getPage(t, base, { as: me })).body, new RegExp(qa.code));

  const play = await postForm(
    t,
    `${base}/playground`,
    { deployTarget: restTarget, session: qa.code, inputs: 'plan=pro', traits: 'F:1', at: '2026-12-05T14:30' },
    { as: me },
  );
  assert.equal(play.statusCode, 200, play.body);
  assert.match(play.body, /a QA session/);
  assert.match(play.body, /B · fixed/);
  assert.match(play.body, /QA session forces variation/);

  const gone = await postForm(t, `${base}/${qa.code}/delete`, {}, { as: me });
  assert.equal(gone.statusCode, 204);
  assert.deepEqual(await t.services.qaSessions.list(t.account.id), []);
});

test('a forced line without = is refused with what to fix', async () => {
  const me = await t.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  const res = await postForm(t, base, { deployTarget: restTarget, forced: 'a-hero B' }, { as: me });
  assert.equal(res.statusCode, 422);
  assert.match(res.body, /is not name=value/);
});

test('the page shows each QA session’s recent requests with their debug lines; Forget resets its visitor', async () => {
  const me = await t.signIn(ADMIN_EMAIL, ADMIN_PASSWORD);
  const qa = await t.services.qaSessions.create(t.account.id, {
    deployTarget: restTarget,
    name: 'Log check',
  });
  const rest = (await t.key('rest')).secret;
  const run = () =>
    t.call({
      method: 'POST',
      url: `/${t.account.id}/v3/agent-api?session=${qa.code}`,
      as: { key: rest },
      body: { commands: [{ a: 'a-hero' }] },
    });
  await run();
  const page = (await getPage(t, base, { as: me })).body;
  assert.match(page, new RegExp(`Recent requests of <code>${qa.code}</code>`));
  assert.match(page, /remembered for the session/, 'the engine’s debug line of the first request');
  assert.match(page, new RegExp(`id="forget-qa-${qa.code}"`));

  await run();
  assert.equal((await run()).json().data.items[0].p, 's');
  const forgot = await postForm(t, `${base}/${qa.code}/forget`, {}, { as: me });
  assert.equal(forgot.statusCode, 204, forgot.body);
  assert.equal((await run()).json().data.items[0].p, 'r', 'a new visitor after forgetting');
  const missing = await postForm(t, `${base}/qa-nosuchcode/forget`, {}, { as: me });
  assert.equal(missing.statusCode, 404);
});
