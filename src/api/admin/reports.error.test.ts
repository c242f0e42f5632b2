import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../../test/helpers/app.js';
import { expectError } from '../../../test/helpers/expect.js';

let t: TestApp;
let url: string;
before(async () => {
  t = await createTestApp();
  const acc = t.account.id;
  await t.services.agents.put(acc, 'a-days', { variations: [{ code: 'A', weight: 1 }] });
  const target = (await t.services.deployTargets.resolve(acc, undefined))?.id ?? '';
  await t.services.events.record({
    selections: [5, 10].map((day) => ({
      accountId: acc,
      deployTargetId: target,
      session: `s-${day}`,
      agent: 'a-days',
      variation: 'A',
      at: Date.UTC(2026, 0, day, 12),
    })),
    rewards: [],
  });
  url = `/admin/${acc}/reports/decision-stats/a-days`;
});
after(() => t.close());

describe('report bounds: bad values are 400 naming the parameter as sent', () => {
  test('a value that is neither a day nor first/last', async () => {
    for (const [query, field] of [
      ['?dateFrom=yesterday', 'querystring.dateFrom'],
      ['?dateThru=2026-02-30', 'querystring.dateThru'],
      ['?dateFrom=First', 'querystring.dateFrom'],
      ['?to=latest', 'querystring.to'],
    ]) {
      expectError(
        await t.call({ url: `${url}${query}`, as: { session: t.admin } }),
        400,
        'invalid_input',
        field,
      );
    }
  });

  test('one bound given differently under both names', async () => {
    expectError(
      await t.call({ url: `${url}?from=2026-01-05&dateFrom=2026-01-06`, as: { session: t.admin } }),
      400,
      'invalid_input',
      'querystring.dateFrom',
    );
    expectError(
      await t.call({ url: `${url}?to=last&dateThru=first`, as: { session: t.admin } }),
      400,
      'invalid_input',
      'querystring.dateThru',
    );
  });

  test('a range that ends before it starts names the bound as it was sent', async () => {
    expectError(
      await t.call({ url: `${url}?dateFrom=last&dateThru=first`, as: { session: t.admin } }),
      400,
      'invalid_input',
      'querystring.dateThru',
    );
    expectError(
      await t.call({ url: `${url}?dateFrom=2026-01-08&to=2026-01-06`, as: { session: t.admin } }),
      400,
      'invalid_input',
      'querystring.to',
    );
  });
});
