/** The report's CSV export: its route, permission, content type, and cells a spreadsheet reads safely. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { DAY_MS } from '../kernel/days.js';
import { csvCell, REPORT_CSV_COLUMNS } from './report-csv.js';

describe('csvCell', () => {
  test('quotes separators and quotes, and defuses formulas', () => {
    assert.equal(csvCell('plain'), 'plain');
    assert.equal(csvCell('a,b'), '"a,b"');
    assert.equal(csvCell('say "hi"'), '"say ""hi"""');
    assert.equal(csvCell('two\nlines'), '"two\nlines"');
    assert.equal(csvCell('=HYPERLINK("http://x")'), `"'=HYPERLINK(""http://x"")"`);
    assert.equal(csvCell('+1'), "'+1");
    assert.equal(csvCell(0.125), '0.125');
    assert.equal(csvCell(null), '');
    assert.equal(csvCell(Number.NaN), '');
  });
});

describe('GET /admin/{acc}/reports/decision-stats/{a}.csv', () => {
  let t: TestApp;
  let acc: string;

  before(async () => {
    t = await createTestApp();
    acc = t.account.id;
    await t.services.goals.put(acc, 'g-buy', { name: 'Bought, today', value: 1 });
    await t.services.agents.put(acc, 'a-csv', {
      name: 'CSV',
      variations: [
        { code: 'A', name: 'Control', weight: 1 },
        { code: 'B', weight: 1 },
      ],
      goals: ['g-buy'],
    });
    const dt = (await t.services.deployTargets.resolve(acc, undefined))?.id ?? '';
    const base = {
      account_id: acc,
      agent: 'a-csv',
      deploy_target_id: dt,
      day: Math.floor(Date.now() / DAY_MS) * DAY_MS,
    };
    await t.services.store.db
      .insertInto('agent_daily_stats')
      .values([
        { ...base, variation: 'A', sessions: 1000 },
        { ...base, variation: 'B', sessions: 1010 },
      ])
      .execute();
    await t.services.store.db
      .insertInto('goal_daily_stats')
      .values([
        { ...base, variation: 'A', goal: 'g-buy', conversions: 100, value_sum: 100, value_sum_sq: 100 },
        { ...base, variation: 'B', goal: 'g-buy', conversions: 131, value_sum: 131, value_sum_sq: 131 },
      ])
      .execute();
  });
  after(() => t.close());

  test('answers text/csv with the same figures as the JSON report', async () => {
    const key = await t.key('admin-read');
    const res = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-csv.csv`,
      headers: { authorization: `Bearer ${key.secret}` },
    });
    assert.equal(res.statusCode, 200, res.body);
    assert.match(String(res.headers['content-type']), /^text\/csv; charset=utf-8/);
    assert.match(String(res.headers['content-disposition']), /attachment; filename="report-a-csv.csv"/);
    const lines = res.body.trimEnd().split('\r\n');
    assert.equal(lines[0], REPORT_CSV_COLUMNS.join(','));
    assert.equal(lines.length, 3);
    const json = (
      await t.call({
        url: `/admin/${acc}/reports/decision-stats/a-csv`,
        headers: { authorization: `Bearer ${key.secret}` },
      })
    ).json().data;
    const b = lines[2].split(',');
    const col = (name: (typeof REPORT_CSV_COLUMNS)[number]) => b[REPORT_CSV_COLUMNS.indexOf(name) + 1];
    // The goal name holds a comma, so it is quoted and adds one split: columns after it shift by one.
    assert.equal(b[0], 'a-csv');
    assert.equal(b[4], 'B');
    assert.equal(b[6], '1010');
    assert.equal(Number(col('conversions')), 131);
    assert.equal(Number(col('confidence')), json.variations[1].goals[0].vsFirst.confidence);
    assert.equal(Number(col('seq_confidence_holm')), json.variations[1].goals[0].vsFirst.seqConfidenceHolm);
    assert.equal(col('srm_verdict'), 'ok');
    assert.ok(lines[1].includes('"Bought, today"'));
  });

  test('the range may be given by its Conductrics names; a breakdown, which has no room here, is refused', async () => {
    const ranged = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-csv.csv?dateFrom=2026-01-01&dateThru=2026-01-31`,
      as: { session: t.admin },
    });
    assert.equal(ranged.statusCode, 200, ranged.body);
    const row = ranged.body.split('\r\n')[1].split(',');
    assert.deepEqual(row.slice(2, 4), ['2026-01-01', '2026-01-31']);
    assert.equal(row[6], '0', 'nothing was counted in January');
    const split = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-csv.csv?by=cust/plan`,
      as: { session: t.admin },
    });
    assert.equal(split.statusCode, 400, split.body);
    assert.equal(split.json().field, 'querystring.by');
    assert.match(split.json().err, /no breakdown by trait/);
  });

  test('a range the report refuses is 400 naming the parameter; runtime keys are refused', async () => {
    const bad = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-csv.csv?from=2026-02-10&to=2026-02-01`,
      as: { session: t.admin },
    });
    assert.equal(bad.statusCode, 400, bad.body);
    const rest = await t.key('rest');
    const refused = await t.call({
      url: `/admin/${acc}/reports/decision-stats/a-csv.csv`,
      headers: { authorization: `Bearer ${rest.secret}` },
    });
    assert.equal(refused.statusCode, 403);
    assert.equal(refused.json().code, 'wrong_key_kind');
  });
});
