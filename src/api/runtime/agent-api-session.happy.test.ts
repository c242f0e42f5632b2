/** Session placeholders on the runtime API (`session={ip}_{1h}`), over HTTP. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';

let t: TestApp;
let acc: string;
let key: string;
before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  key = (await t.key('rest')).secret;
  await t.services.agents.put(acc, 'a-hero', {
    variations: [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 1 },
    ],
  });
});
after(() => t.close());

/** The session the server answers for a template, from one client address. */
async function sessionFrom(template: string, remoteAddress: string, query = ''): Promise<string> {
  const res = await t.app.inject({
    method: 'POST',
    url: `/${acc}/v3/agent-api?apikey=${key}&session=${encodeURIComponent(template)}${query}`,
    payload: { commands: [{ a: 'a-hero' }] },
    remoteAddress,
  });
  assert.equal(res.statusCode, 200, res.body);
  return res.json().data.session as string;
}

const hour = () => Math.floor(Date.now() / 3_600_000);

/** Runs the requests again when an hour boundary fell between them. */
async function withinOneHour<T>(work: () => Promise<T>): Promise<T> {
  for (;;) {
    const before = hour();
    const result = await work();
    if (hour() === before) return result;
  }
}

describe('session placeholders', () => {
  test('{ip}_{1h}: one address within the hour is one session; two addresses are two', async () => {
    const [first, again, other] = await withinOneHour(() =>
      Promise.all([
        sessionFrom('{ip}_{1h}', '198.51.100.4'),
        sessionFrom('{ip}_{1h}', '198.51.100.4'),
        sessionFrom('{ip}_{1h}', '198.51.100.5'),
      ]),
    );
    assert.match(first, /^[0-9a-f]{32}$/, 'the computed id is answered');
    assert.equal(again, first);
    assert.notEqual(other, first);
    assert.ok(!first.includes('198.51.100.4'));
  });

  test('the computed session keeps its state: the second request is sticky', async () => {
    const answers = await withinOneHour(async () => {
      const run = () =>
        t.app.inject({
          method: 'POST',
          url: `/${acc}/v3/agent-api?apikey=${key}&session=${encodeURIComponent('{ip}-{ua}-{1d}')}`,
          payload: { commands: [{ a: 'a-hero' }] },
          headers: { 'user-agent': 'Mozilla/5.0 (sticky)' },
          remoteAddress: '198.51.100.9',
        });
      return [(await run()).json().data, (await run()).json().data];
    });
    assert.equal(answers[1].session, answers[0].session);
    assert.equal(answers[1].items[0].p, 's', JSON.stringify(answers[1]));
    assert.equal(answers[1].items[0].c, answers[0].items[0].c);
  });

  test('{ua} is the ua parameter when given', async () => {
    const one = await sessionFrom('{ua}', '198.51.100.4', '&ua=Agent-One');
    const two = await sessionFrom('{ua}', '198.51.100.4', '&ua=Agent-Two');
    assert.notEqual(one, two);
    assert.equal(await sessionFrom('{ua}', '198.51.100.7', '&ua=Agent-One'), one);
  });

  test('a session without placeholders is used as given', async () => {
    assert.equal(await sessionFrom('visitor-42', '198.51.100.4'), 'visitor-42');
  });
});
