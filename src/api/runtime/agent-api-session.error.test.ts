import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectError } from '../../../test/helpers/expect.js';

let t: TestApp;
let url: string;
before(async () => {
  t = await createTestApp();
  url = `/${t.account.id}/v3/agent-api?apikey=${(await t.key('rest')).secret}`;
});
after(() => t.close());

test('an unknown placeholder is 400 naming the session and the placeholder, never taken literally', async () => {
  for (const [template, named] of [
    ['{foo}', '{foo}'],
    ['{ip}_{hour}', '{hour}'],
    ['{0h}', '{0h}'],
    ['{}', '{}'],
  ]) {
    const res = await t.call({
      method: 'POST',
      url: `${url}&session=${encodeURIComponent(template)}`,
      body: { commands: [] },
    });
    const error = expectError(res, 400, 'invalid_input', 'querystring.session');
    if (!error.err.includes(`session: unknown placeholder ${named}`)) throw new Error(error.err);
  }
});
