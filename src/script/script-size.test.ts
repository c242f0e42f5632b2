/**
 * The size budget of the script tag: with a dozen running agents (three variations each, two
 * metadata keys, a condition) and three goals, the served script must stay under 10 KB gzipped.
 * The sizes are printed (the README quotes them).
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { condition } from '../../test/helpers/runtime.js';

const BUDGET = 10 * 1024;

let t: TestApp;
let url: string;

before(async () => {
  t = await createTestApp();
  const acc = t.account.id;
  for (const goal of ['g-signup', 'g-purchase', 'g-newsletter'])
    await t.services.goals.put(acc, goal, { name: goal, value: 1 });
  for (let i = 1; i <= 12; i++) {
    await t.services.agents.put(acc, `a-experiment-${i}`, {
      name: `Experiment ${i}`,
      metaKeys: ['headline', 'color'],
      variations: ['A', 'B', 'C'].map((code, k) => ({
        code,
        name: `Variation ${code}`,
        weight: k + 1,
        meta: { headline: `Headline ${code} of experiment ${i}`, color: ['#c00', '#0a0', '#00c'][k] },
      })),
      conditions: [condition([{ input: 'plan', is: 'pro' }], 'C')],
      goals: i % 2 === 0 ? ['g-purchase'] : null,
    });
  }
  const js = (await t.services.deployTargets.list(acc)).find((d) => d.kind === 'js');
  url = `/${acc}/v3/agent-api/js/${js?.id}?apikey=${(await t.key('js')).secret}`;
});
after(() => t.close());

test('the script tag with a dozen agents is under 10 KB gzipped', async (context) => {
  const plain = await t.call({ url });
  const gzip = await t.call({ url, headers: { 'accept-encoding': 'gzip' } });
  const br = await t.call({ url, headers: { 'accept-encoding': 'br' } });
  assert.equal(gzip.headers['content-encoding'], 'gzip');
  assert.equal(br.headers['content-encoding'], 'br');
  assert.equal((plain.body.match(/"a-experiment-\d+":/g) ?? []).length, 12, 'the dozen agents are in it');
  const kb = (n: number) => `${(n / 1024).toFixed(1)} KB`;
  context.diagnostic(
    `script tag with 12 agents: ${kb(plain.rawPayload.length)} minified, ${kb(gzip.rawPayload.length)} gzip, ${kb(br.rawPayload.length)} brotli`,
  );
  assert.ok(gzip.rawPayload.length < BUDGET, `${gzip.rawPayload.length} bytes gzipped`);
});
