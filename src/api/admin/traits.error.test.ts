import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';

let t: TestApp;
let author: string;

before(async () => {
  t = await createTestApp();
  author = (await t.key('admin-author')).secret;
});
after(() => t.close());

const cases: [string, string, unknown, string?][] = [
  ['a group with a slash', 'params.group', { rules: [{ value: 'x', when: [] }] }, 'a%2Fb'],
  ['no rules', 'body.rules', { rules: [] }],
  ['an empty value', 'body.rules.0.value', { rules: [{ value: ' ', when: [] }] }],
  [
    'a wrong op in a rule',
    'body.rules.1.when.1.op',
    {
      rules: [
        { value: 'a', when: [] },
        {
          value: 'b',
          when: [
            { input: 'x', is: 'y' },
            { input: 'x', op: 'matches', value: 'y' },
          ],
        },
      ],
    },
  ],
  [
    'a match other than all or any',
    'body.rules.0.match',
    { rules: [{ value: 'a', when: [], match: 'one' }] },
  ],
  ['a body group other than the URL', 'body.group', { group: 'other', rules: [{ value: 'a', when: [] }] }],
];

for (const [what, field, body, group = 'plan'] of cases) {
  test(`PUT with ${what}: 400 naming ${field}`, async () => {
    const res = await t.call({
      method: 'PUT',
      url: `/admin/${t.account.id}/traits/${group}`,
      as: { key: author },
      body,
    });
    assert.equal(res.statusCode, 400, res.body);
    assert.equal(res.json().field, field, res.json().err);
  });
}

test('GET or DELETE of an unknown trait: 404', async () => {
  for (const method of ['GET', 'DELETE'] as const) {
    const res = await t.call({ method, url: `/admin/${t.account.id}/traits/nothing`, as: { key: author } });
    assert.equal(res.statusCode, 404, res.body);
    assert.equal(res.json().code, 'trait_not_found');
  }
});
