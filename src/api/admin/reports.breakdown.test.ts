import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectError } from '../../../test/helpers/expect.js';

let t: TestApp;
let acc: string;
let url: string;
/** the variation the runtime answered each session, by plan */
const answered: Record<string, string[]> = { pro: [], free: [] };
/** sessions rewarded, by plan and variation */
const rewarded: Record<string, string[]> = { pro: [], free: [] };

/**
 * Through the REST runtime: the account's `plan` trait (pro from the input, free otherwise) makes
 * 3 pro and 2 free sessions; one pro and one free session reach the goal.
 */
before(async () => {
  t = await createTestApp();
  acc = t.account.id;
  const author = (await t.key('admin-author')).secret;
  const rest = (await t.key('rest')).secret;
  const put = async (path: string, body: unknown) => {
    const res = await t.call({ method: 'PUT', url: `/admin/${acc}/${path}`, as: { key: author }, body });
    assert.ok(res.statusCode < 300, res.body);
  };
  await put('goals/g-buy', { code: 'g-buy', value: 1 });
  await put('traits/plan', {
    rules: [
      { value: 'pro', when: [{ input: 'plan', op: 'in', values: ['pro'] }] },
      { value: 'free', when: [] },
    ],
  });
  await t.services.agents.put(acc, 'a-bd', {
    variations: [
      { code: 'A', weight: 1 },
      { code: 'B', weight: 1 },
    ],
  });
  const ask = async (session: string, commands: unknown[], inputs: Record<string, string>) => {
    const res = await t.call({
      method: 'POST',
      url: `/${acc}/v3/agent-api?session=${session}`,
      as: { key: rest },
      body: { commands, inputs },
    });
    assert.equal(res.statusCode, 200, res.body);
    return res.json().data as { items: { c?: string }[]; traits: string[] };
  };
  for (const [i, plan] of ['pro', 'pro', 'free', 'pro', 'free'].entries()) {
    const data = await ask(`bd-${i}`, [{ a: 'a-bd' }], { plan });
    assert.deepEqual(data.traits, [`cust/plan:${plan}`]);
    answered[plan].push(data.items[0].c as string);
    if (i === 0 || i === 2) {
      // Rewarded later without the input: the reward credits the value the session was counted with.
      await ask(`bd-${i}`, [{ g: 'g-buy' }], {});
      rewarded[plan].push(data.items[0].c as string);
    }
  }
  url = `/admin/${acc}/reports/decision-stats/a-bd`;
});
after(() => t.close());

const count = (list: string[], code: string) => list.filter((c) => c === code).length;

describe('report breakdown by a custom trait group (?by=cust/GROUP)', () => {
  test('sessions with plan=pro and plan=free land in their values, with their conversions', async () => {
    const res = await t.call({ url: `${url}?by=cust/plan`, as: { session: t.admin } });
    assert.equal(res.statusCode, 200, res.body);
    const byTrait = res.json().data.byTrait;
    assert.deepEqual(byTrait, {
      group: 'cust/plan',
      values: ['free', 'pro'].map((value) => ({
        value,
        variations: ['A', 'B'].map((code) => {
          const sessions = count(answered[value], code);
          const conversions = count(rewarded[value], code);
          return {
            code,
            sessions,
            goals: [{ code: 'g-buy', conversions, rate: sessions > 0 ? conversions / sessions : 0 }],
          };
        }),
      })),
    });
    const total = (value: string) =>
      (byTrait.values as { value: string; variations: { sessions: number }[] }[])
        .find((v) => v.value === value)
        ?.variations.reduce((n, v) => n + v.sessions, 0);
    assert.deepEqual([total('pro'), total('free')], [3, 2]);
  });

  test('a group no session holds has no values; the rest of the report is the same as without by', async () => {
    const plain = await t.call({ url, as: { session: t.admin } });
    assert.equal(plain.statusCode, 200, plain.body);
    assert.equal('byTrait' in plain.json().data, false, 'no breakdown unless asked');
    const other = await t.call({ url: `${url}?by=cust/region`, as: { session: t.admin } });
    const { byTrait, ...rest } = other.json().data;
    assert.deepEqual(byTrait, { group: 'cust/region', values: [] });
    assert.deepEqual(rest, plain.json().data);
  });

  test('by must name a custom trait group: 400 naming querystring.by', async () => {
    for (const by of ['plan', 'ua/mo', 'cust/plan:pro', 'cust/', `cust/${'x'.repeat(100)}`]) {
      expectError(
        await t.call({ url: `${url}?by=${encodeURIComponent(by)}`, as: { session: t.admin } }),
        400,
        'invalid_input',
        'querystring.by',
      );
    }
  });
});
