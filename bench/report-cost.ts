/**
 * What a decision-stats report costs at a thousand and at ten million recorded events: the report
 * reads the daily aggregates (one row per day × variation × target, and × goal), so its cost follows
 * the days and variations shown, not the events behind them. Runs alone with
 * `npx tsx bench/report-cost.ts` (SQLite in a temporary file).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DAY_MS } from '../src/kernel/days.js';
import { createTestApp } from '../test/helpers/app.js';

const GOALS = ['g-one', 'g-two', 'g-three'];
const VARIATIONS = ['A', 'B'];

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-report-cost-'));
  const t = await createTestApp({ sqlitePath: join(dir, 'bench.db') });
  try {
    const acc = t.account.id;
    for (const g of GOALS) await t.services.goals.put(acc, g, { name: g, value: 1 });
    const targets = (await t.services.deployTargets.list(acc)).map((d) => d.id);
    const today = Math.floor(Date.now() / DAY_MS) * DAY_MS;

    /** Aggregates equal to `events` recorded over `days` days: 90% selections, 10% conversions. */
    async function seed(agent: string, days: number, events: number) {
      await t.services.agents.put(acc, agent, {
        name: agent,
        variations: VARIATIONS.map((code) => ({ code, weight: 1 })),
        goals: GOALS,
      });
      const cells = days * VARIATIONS.length * targets.length;
      const sessions = Math.max(1, Math.round((events * 0.9) / cells));
      const conversions = Math.max(0, Math.round((events * 0.1) / cells / GOALS.length));
      const sessionRows = [];
      const goalRows = [];
      for (let d = 0; d < days; d++) {
        for (const deploy_target_id of targets) {
          for (const variation of VARIATIONS) {
            const base = { account_id: acc, agent, deploy_target_id, day: today - d * DAY_MS, variation };
            sessionRows.push({ ...base, sessions });
            for (const goal of GOALS) {
              goalRows.push({
                ...base,
                goal,
                conversions,
                value_sum: conversions,
                value_sum_sq: conversions,
              });
            }
          }
        }
      }
      for (let i = 0; i < sessionRows.length; i += 500)
        await t.services.store.db
          .insertInto('agent_daily_stats')
          .values(sessionRows.slice(i, i + 500))
          .execute();
      for (let i = 0; i < goalRows.length; i += 500)
        await t.services.store.db
          .insertInto('goal_daily_stats')
          .values(goalRows.slice(i, i + 500))
          .execute();
      const recorded = sessionRows.length * sessions + goalRows.length * conversions;
      return { rows: sessionRows.length + goalRows.length, recorded };
    }

    async function time(agent: string) {
      for (let i = 0; i < 20; i++) await t.services.reports.report(acc, agent);
      const samples: number[] = [];
      for (let i = 0; i < 50; i++) {
        const start = process.hrtime.bigint();
        await t.services.reports.report(acc, agent);
        samples.push(Number(process.hrtime.bigint() - start) / 1e6);
      }
      samples.sort((a, b) => a - b);
      return { medianMs: samples[25], p90Ms: samples[45] };
    }

    const cases: [string, number, number][] = [
      ['a-1k-1day', 1, 1_000],
      ['a-1k-365days', 365, 1_000],
      ['a-10m-365days', 365, 10_000_000],
    ];
    for (const [agent, days, events] of cases) {
      const seeded = await seed(agent, days, events);
      const cost = await time(agent);
      console.log(
        `${agent}: ${seeded.recorded.toLocaleString('en-US')} events as ${seeded.rows} aggregate rows over ${days} days × ${targets.length} targets: median ${cost.medianMs.toFixed(2)} ms, p90 ${cost.p90Ms.toFixed(2)} ms`,
      );
    }
  } finally {
    await t.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
