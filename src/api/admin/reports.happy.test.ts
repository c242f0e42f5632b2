import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';

let t: TestApp;
let url: string;

/** Sessions counted on 2026-01-05 (1), 2026-01-07 (2) and 2026-01-10 (3). */
before(async () => {
  t = await createTestApp();
  const acc = t.account.id;
  await t.services.agents.put(acc, 'a-days', { variations: [{ code: 'A', weight: 1 }] });
  const target = (await t.services.deployTargets.resolve(acc, undefined))?.id ?? '';
  const counted = [
    [5, 1],
    [7, 2],
    [10, 3],
  ];
  await t.services.events.record({
    selections: counted.flatMap(([day, n]) =>
      Array.from({ length: n }, (_, i) => ({
        accountId: acc,
        deployTargetId: target,
        session: `s-${day}-${i}`,
        agent: 'a-days',
        variation: 'A',
        at: Date.UTC(2026, 0, day, 12),
      })),
    ),
    rewards: [],
  });
  url = `/admin/${acc}/reports/decision-stats/a-days`;
});
after(() => t.close());

async function range(query: string) {
  const res = await t.call({ url: `${url}${query}`, as: { session: t.admin } });
  assert.equal(res.statusCode, 200, `${query}: ${res.body}`);
  const data = res.json().data as { from: string; to: string; variations: { sessions: number }[] };
  return { from: data.from, to: data.to, sessions: data.variations[0].sessions };
}

describe('report bounds as Conductrics documents them: dateFrom / dateThru, first / last', () => {
  test('dateFrom and dateThru are from and to', async () => {
    const documented = await range('?dateFrom=2026-01-06&dateThru=2026-01-07');
    assert.deepEqual(documented, { from: '2026-01-06', to: '2026-01-07', sessions: 2 });
    assert.deepEqual(await range('?from=2026-01-06&to=2026-01-07'), documented);
  });

  test('first and last are the first and last day with data', async () => {
    assert.deepEqual(await range('?dateFrom=first&dateThru=last'), {
      from: '2026-01-05',
      to: '2026-01-10',
      sessions: 6,
    });
    assert.deepEqual(await range('?dateFrom=last'), { from: '2026-01-10', to: '2026-01-10', sessions: 3 });
    assert.deepEqual(await range('?dateFrom=first&dateThru=2026-01-07'), {
      from: '2026-01-05',
      to: '2026-01-07',
      sessions: 3,
    });
    assert.deepEqual(await range('?from=2026-01-06&to=last'), {
      from: '2026-01-06',
      to: '2026-01-10',
      sessions: 5,
    });
    assert.deepEqual(await range('?dateThru=first'), { from: '2026-01-05', to: '2026-01-05', sessions: 1 });
  });

  test('both names for one bound are accepted when they agree', async () => {
    assert.deepEqual(await range('?from=2026-01-07&dateFrom=2026-01-07'), {
      from: '2026-01-07',
      to: '2026-01-10',
      sessions: 5,
    });
  });
});
