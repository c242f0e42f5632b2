/**
 * The report page in a real browser: the charts' x axes fit the days with data (one day of
 * sessions is drawn around that day, not at the edge of years), the cumulative charts draw each
 * variation's rate with its interval, the sample-ratio warning shows, the CSV link downloads, and
 * "Break down by" shows sessions and conversions per value of a custom trait.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import { DAY_MS } from '../../src/kernel/days.js';
import {
  type BrowserServer,
  browserSkipReason,
  launchBrowser,
  openPage,
  signInThroughPage,
  startServer,
} from '../helpers/browser.js';

const skip = browserSkipReason();
if (skip) console.log(`# skipping browser tests: ${skip}`);

const SHOTS = process.env.TESSERA_SHOTS_DIR;

describe('the report page in a browser', { skip }, () => {
  let server: BrowserServer;
  let browser: Browser;
  let acc: string;
  const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;

  async function seed(
    agent: string,
    days: number[],
    sessions: [number, number],
    conversions: [number, number],
  ) {
    const t = server.t;
    await t.services.agents.put(acc, agent, {
      name: `Report ${agent}`,
      variations: [
        { code: 'A', name: 'Control', weight: 1 },
        { code: 'B', weight: 1 },
      ],
      goals: ['g-buy'],
    });
    const dt = (await t.services.deployTargets.resolve(acc, undefined))?.id ?? '';
    for (const day of days) {
      const base = { account_id: acc, agent, deploy_target_id: dt, day };
      await t.services.store.db
        .insertInto('agent_daily_stats')
        .values([
          { ...base, variation: 'A', sessions: sessions[0] },
          { ...base, variation: 'B', sessions: sessions[1] },
        ])
        .execute();
      await t.services.store.db
        .insertInto('goal_daily_stats')
        .values(
          (['A', 'B'] as const).map((variation, i) => ({
            ...base,
            variation,
            goal: 'g-buy',
            conversions: conversions[i],
            value_sum: conversions[i],
            value_sum_sq: conversions[i],
          })),
        )
        .execute();
    }
  }

  before(async () => {
    server = await startServer();
    acc = server.t.account.id;
    await server.t.services.goals.put(acc, 'g-buy', { name: 'Bought', value: 1 });
    await seed('a-oneday', [today], [500, 530], [40, 52]);
    await seed(
      'a-week',
      [0, 1, 2, 3, 4, 5, 6].map((k) => today - (6 - k) * DAY_MS),
      [1000, 900],
      [80, 95],
    );
    browser = await launchBrowser();
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  /** Each drawn chart's x scale, in epoch seconds, as uPlot holds it. */
  async function xRanges(page: import('playwright-core').Page) {
    await page.waitForFunction(() =>
      Array.from(document.querySelectorAll('[data-chart]')).every(
        (h) => (h as HTMLElement & { uplot?: unknown }).uplot,
      ),
    );
    return page.evaluate(() =>
      Array.from(document.querySelectorAll('[data-chart]')).map((h) => {
        const plot = (h as HTMLElement & { uplot: { scales: { x: { min: number; max: number } } } }).uplot;
        return { id: h.getAttribute('data-chart'), min: plot.scales.x.min, max: plot.scales.x.max };
      }),
    );
  }

  test('an adaptive agent: the editor shows its allocation, the report its weight history', async () => {
    const t = server.t;
    await seed('a-adaptive', [today], [800, 800], [40, 72]);
    await t.services.agents.put(acc, 'a-adaptive', {
      name: 'Report a-adaptive',
      allocation: 'adaptive',
      variations: [
        { code: 'A', name: 'Control', weight: 1 },
        { code: 'B', weight: 1 },
      ],
      goals: ['g-buy'],
    });
    assert.equal(await t.services.adaptive.rebalance(acc), 1);
    for (const width of [1280, 390]) {
      const { page, problems } = await openPage(browser, { baseURL: server.baseURL, width });
      await signInThroughPage(page);
      await page.goto(`/console/${acc}/agents/a-adaptive`);
      assert.equal(await page.getByRole('radio', { name: /^Adaptive/ }).isChecked(), true);
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/agent-adaptive-${width}.png`, fullPage: true });
      await page.goto(`/console/${acc}/reports/a-adaptive`);
      const history = page.getByRole('table', { name: /Adaptive weights/ });
      await history.waitFor();
      assert.equal(await history.getByRole('row').count(), 2, 'a header and one publication');
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/report-adaptive-${width}.png`, fullPage: true });
      assert.deepEqual(problems, []);
      await page.context().close();
    }
  });

  test("Break down by lists the account's trait groups and shows the table per value", async () => {
    const t = server.t;
    await t.services.traits.put(acc, 'plan', {
      rules: [
        { value: 'pro', when: [{ input: 'plan', op: 'in', values: ['pro'] }] },
        { value: 'free', when: [] },
      ],
    });
    await t.services.agents.put(acc, 'a-plans', {
      name: 'Report a-plans',
      variations: [
        { code: 'A', name: 'Control', weight: 1 },
        { code: 'B', weight: 1 },
      ],
      goals: ['g-buy'],
    });
    const dt = (await t.services.deployTargets.resolve(acc, undefined))?.id ?? '';
    for (let i = 0; i < 12; i++) {
      const ask = { accountId: acc, deployTargetId: dt, session: `plan-${i}`, queryTraits: [], debug: false };
      const inputs = { plan: i % 3 === 0 ? 'free' : 'pro' };
      await t.services.runtime.execute({ ...ask, commands: [{ a: 'a-plans' }], inputs });
      if (i % 2 === 0) await t.services.runtime.execute({ ...ask, commands: [{ g: 'g-buy' }], inputs: {} });
    }
    for (const width of [1280, 390]) {
      const { page, problems } = await openPage(browser, { baseURL: server.baseURL, width });
      await signInThroughPage(page);
      await page.goto(`/console/${acc}/reports/a-plans`);
      assert.equal(await page.getByRole('heading', { name: 'By cust/plan' }).count(), 0, 'only when chosen');
      await page.getByLabel('Break down by').selectOption('cust/plan');
      await page.getByRole('button', { name: 'Show' }).click();
      const table = page.getByRole('table', { name: 'Results by cust/plan' });
      await table.waitFor();
      // A header, then two variations for each of free and pro.
      assert.equal(await table.getByRole('row').count(), 5);
      const sessions = await table.locator('tbody td:nth-of-type(1)').allTextContents();
      assert.equal(
        sessions.reduce((n, s) => n + Number(s), 0),
        12,
      );
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/report-breakdown-${width}.png`, fullPage: true });
      assert.deepEqual(problems, []);
      await page.context().close();
    }
  });

  for (const width of [1280, 390]) {
    test(`one day of sessions: every x axis spans that day only (${width} px)`, async () => {
      const { page, problems } = await openPage(browser, { baseURL: server.baseURL, width });
      await signInThroughPage(page);
      await page.goto(`/console/${acc}/reports/a-oneday`);
      const ranges = await xRanges(page);
      assert.ok(ranges.length >= 3, JSON.stringify(ranges));
      const day = today / 1000;
      for (const r of ranges) {
        assert.ok(
          r.min >= day - DAY_MS / 1000 && r.max <= day + 2 * (DAY_MS / 1000),
          JSON.stringify({ r, day }),
        );
        assert.ok(r.min <= day && r.max >= day, JSON.stringify({ r, day }));
      }
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/report-oneday-${width}.png`, fullPage: true });
      assert.deepEqual(problems, []);
      await page.context().close();
    });

    test(`seven days: the axes span those days, bands draw, the CSV link downloads (${width} px)`, async () => {
      const { page, problems } = await openPage(browser, { baseURL: server.baseURL, width });
      await signInThroughPage(page);
      await page.goto(`/console/${acc}/reports/a-week`);
      const ranges = await xRanges(page);
      const first = (today - 6 * DAY_MS) / 1000;
      const last = today / 1000;
      for (const r of ranges) {
        assert.ok(r.min >= first - DAY_MS / 1000 && r.min <= first, JSON.stringify({ r, first }));
        assert.ok(r.max >= last && r.max <= last + DAY_MS / 1000, JSON.stringify({ r, last }));
      }
      const cumulative = await page.evaluate(() => {
        const holder = document.querySelector('[data-chart="chart-cumulative-0-data"]') as HTMLElement & {
          uplot: { bands: unknown[]; series: { label?: string }[] };
        };
        return { bands: holder.uplot.bands.length, labels: holder.uplot.series.map((s) => s.label ?? '') };
      });
      assert.equal(cumulative.bands, 2);
      assert.deepEqual(cumulative.labels.slice(1, 4), ['A', 'A 95% low', 'A 95% high']);
      // B converts better over 6,300 sessions a side: the sample ratio 7,000 : 6,300 is flagged too.
      await page.getByRole('alert').filter({ hasText: 'Sample ratio mismatch' }).waitFor();
      if (SHOTS) await page.screenshot({ path: `${SHOTS}/report-week-${width}.png`, fullPage: true });
      const [download] = await Promise.all([
        page.waitForEvent('download'),
        page.getByRole('link', { name: 'Download CSV' }).click(),
      ]);
      assert.equal(download.suggestedFilename(), 'report-a-week.csv');
      assert.deepEqual(problems, []);
      await page.context().close();
    });
  }
});
