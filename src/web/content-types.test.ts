/**
 * What the body parsers refuse, and that they say so: a key the JSON parser will not take
 * (`__proto__`, `constructor` holding `prototype`) is named, and bytes that are not UTF-8 are
 * refused rather than replaced, on application/json and on text/plain (JSON sent by browsers).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { expectError } from '../../test/helpers/expect.js';
import { fakeSnapshots } from '../../test/helpers/runtime.js';

let t: TestApp;
let url: string;
before(async () => {
  t = await createTestApp({ services: { snapshots: fakeSnapshots() } });
  const { secret } = await t.key('rest');
  url = `/${t.account.id}/v3/agent-api?apikey=${secret}`;
});
after(() => t.close());

const post = (body: string | Buffer, type: string) =>
  t.call({ method: 'POST', url, body, headers: { 'content-type': type } });

test('a __proto__ key is refused as such, naming where it is', async () => {
  for (const type of ['application/json', 'text/plain']) {
    const top = expectError(
      await post('{"commands": [], "__proto__": {"polluted": true}}', type),
      400,
      'invalid_input',
      'body',
    );
    assert.match(top.err, /__proto__.*not accepted/, type);
    const nested = expectError(
      await post('{"commands": [], "inputs": {"page": {"\\u005f_proto__": 1}}}', type),
      400,
      'invalid_input',
      'body.inputs.page',
    );
    assert.match(nested.err, /__proto__/, 'also when spelled with an escape');
  }
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
});

test('a constructor key holding prototype is refused as such on application/json', async () => {
  const answer = expectError(
    await post('{"commands": [], "constructor": {"prototype": {"polluted": true}}}', 'application/json'),
    400,
    'invalid_input',
    'body',
  );
  assert.match(answer.err, /constructor.*prototype.*not accepted/);
});

test('JSON that is not JSON is still just that', async () => {
  const answer = expectError(
    await post('{"__proto__": ', 'application/json'),
    400,
    'invalid_request',
    'body',
  );
  assert.equal(answer.err, 'body: not valid JSON');
});

test('bytes that are not UTF-8 are refused, not replaced', async () => {
  const bad = Buffer.concat([
    Buffer.from('{"commands": [], "inputs": {"page": "caf'),
    Buffer.from([0xe9]), // é in Latin-1: no UTF-8 character
    Buffer.from('"}}'),
  ]);
  for (const type of ['application/json', 'text/plain', 'application/json; charset=utf-8']) {
    const answer = expectError(await post(bad, type), 400, 'invalid_input', 'body');
    assert.match(answer.err, /UTF-8/, type);
  }
  const good = await post(Buffer.from('{"commands": [], "inputs": {"page": "café 🙂"}}'), 'application/json');
  assert.equal(good.statusCode, 200, good.body);
});

test('a byte order mark before the JSON is read past', async () => {
  const marked = await post(
    Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('{"commands": [{"a": "a-1"}]}')]),
    'application/json',
  );
  assert.equal(marked.statusCode, 200, marked.body);
});
