/**
 * The schedule's work for adaptive allocation: for each running adaptive agent, Thompson weights
 * from the daily aggregates of its primary goal (the first of its goals list), published as a new
 * configuration version. The aggregates are summed over every day and deploy target, so a
 * recomputation costs the same at any traffic.
 *
 * The random draws are seeded by the account, agent and counts, so two servers recomputing the
 * same aggregates publish the same weights; a publication younger than the interval is not
 * repeated, so several servers on one database do not multiply versions.
 */
import type { Kysely } from 'kysely';
import type { AccountService } from '../accounts/accounts.js';
import type { AgentService } from '../agents/agents.js';
import { selectDailyStats } from '../events/daily-stats.js';
import { murmur3, utf8Bytes } from '../runtime/allocation.js';
import type { Database } from '../store/schema.js';
import { type Arm, thompsonWeights } from './adaptive.js';

export interface AdaptiveAllocator {
  /** recomputes and publishes the weights of the account's adaptive agents; answers how many */
  rebalance(accountId: string): Promise<number>;
  /** the same for every account */
  rebalanceAll(): Promise<number>;
}

function seededRandom(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function createAdaptiveAllocator(deps: {
  db: Kysely<Database>;
  agents: AgentService;
  accounts: Pick<AccountService, 'list'>;
  /** a publication younger than this (ms) is not repeated */
  minIntervalMs: number;
  now?: () => number;
}): AdaptiveAllocator {
  const now = deps.now ?? Date.now;

  async function rebalance(accountId: string): Promise<number> {
    let published = 0;
    for (const agent of await deps.agents.list(accountId)) {
      if (agent.allocation !== 'adaptive' || agent.status !== 'running') continue;
      const goal = agent.goals?.[0];
      if (goal === undefined) continue;
      const history = await deps.agents.adaptiveWeightHistory(accountId, agent.code);
      const last = history[history.length - 1];
      if (last && now() - last.at < deps.minIntervalMs) continue;
      const stats = await selectDailyStats(deps.db, { accountId, agent: agent.code });
      const arms: Arm[] = agent.variations
        .filter((v) => v.weight > 0)
        .map((v) => ({ code: v.code, sessions: 0, conversions: 0 }));
      if (arms.length < 2) continue;
      const byCode = new Map(arms.map((a) => [a.code, a]));
      for (const row of stats.sessions) {
        const arm = byCode.get(row.variation);
        if (arm) arm.sessions += Number(row.sessions);
      }
      for (const row of stats.goals) {
        const arm = byCode.get(row.variation);
        if (arm && row.goal === goal) arm.conversions += Number(row.conversions);
      }
      const seed = murmur3(
        utf8Bytes(
          `${accountId}:${agent.code}:${arms.map((a) => `${a.sessions}/${a.conversions}`).join(',')}`,
        ),
      );
      const weights = thompsonWeights(arms, seededRandom(seed));
      const version = await deps.agents.publishAdaptiveWeights(
        accountId,
        agent.code,
        Object.fromEntries(arms.map((a, i) => [a.code, weights[i]])),
        now(),
      );
      if (version !== null) published++;
    }
    return published;
  }

  return {
    rebalance,
    async rebalanceAll() {
      let published = 0;
      for (const account of await deps.accounts.list()) published += await rebalance(account.id);
      return published;
    },
  };
}
