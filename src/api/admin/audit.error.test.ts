import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectError } from '../../../test/helpers/expect.js';

let t: TestApp;
before(async () => {
  t = await createTestApp();
});
after(() => t.close());

test('bad filters are 400 naming the query parameter', async () => {
  const get = (path: string, query: string) =>
    t.call({ url: `/admin/${t.account.id}/${path}?${query}`, as: { session: t.admin } });
  for (const path of ['audit', 'audit.jsonl']) {
    expectError(await get(path, 'since=yesterday'), 400, 'invalid_input', 'querystring.since');
    expectError(await get(path, 'until=2030-13-01'), 400, 'invalid_input', 'querystring.until');
    expectError(await get(path, 'type=password'), 400, 'invalid_input', 'querystring.type');
    expectError(await get(path, `actor=${'a'.repeat(321)}`), 400, 'invalid_input', 'querystring.actor');
    expectError(await get(path, 'target='), 400, 'invalid_input', 'querystring.target');
  }
  for (const limit of ['0', '1001', 'ten', '2.5']) {
    expectError(await get('audit', `limit=${limit}`), 400, 'invalid_input', 'querystring.limit');
  }
});
