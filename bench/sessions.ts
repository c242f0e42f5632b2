/**
 * `npm run bench:sessions`: whether the cost of a selection grows with the work done. One Tessera
 * server on one SQLite file (durable events: WAL, synchronous=FULL) takes BENCH_SESSIONS
 * (1,000,000) selections for distinct new sessions, in steps of BENCH_SESSIONS_STEP (100,000),
 * then a reward for a tenth of them (the first tenth of each step's sessions), at
 * BENCH_CONNECTIONS (50) keep-alive connections, with wrk (autocannon when wrk is missing).
 *
 * After each step it prints the step's throughput and p99, the server's resident memory (now, and
 * the most it reached during the step, sampled every half second), the size of the database file
 * and of its WAL (now, and the largest seen during the step). At the end, the targets: the last
 * step at ≥ 0.8 × the first step's throughput, resident memory < 512 MB and WAL < 256 MB throughout.
 *
 * The machine's speed drifts over minutes (in one run the last two steps answered half of what the
 * others did, and the rewards after them doubled halfway at the same work), so a bare node:http
 * server (bench/bare-server.ts) takes a turn of BENCH_SESSIONS_BARE_SECONDS (2) before the first
 * step and after each: a step is also given relative to the bare turns on either side of it, and
 * the throughput target is judged on that (what grows with the work, not with the hour); the raw
 * ratio is printed beside.
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  CONNECTIONS,
  GENERATOR,
  load,
  type Row,
  reward,
  runtimePath,
  type Started,
  selection,
  start,
  stop,
} from './load.js';

const TOTAL = Number(process.env.BENCH_SESSIONS ?? 1_000_000);
const STEP = Math.min(TOTAL, Number(process.env.BENCH_SESSIONS_STEP ?? 100_000));
const MB = 1024 * 1024;
const BARE_SECONDS = Number(process.env.BENCH_SESSIONS_BARE_SECONDS ?? 2);

function rssBytes(pid: number | undefined): number {
  const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match ? Number(match[1]) * 1024 : Number.NaN;
}
function sizeOf(path: string): number {
  try {
    return statSync(path).size;
  } catch {
    return 0;
  }
}

interface Step {
  label: string;
  row: Row;
  /** the step's throughput over the bare server's in the turns on either side of it */
  relative?: number;
  rss: number;
  maxRss: number;
  db: number;
  wal: number;
  maxWal: number;
}

/** Runs one step while sampling memory and the WAL; returns the step with the highest figures seen. */
async function step(label: string, server: Started, file: string, run: () => Promise<Row>): Promise<Step> {
  let maxRss = 0;
  let maxWal = 0;
  const sample = () => {
    maxRss = Math.max(maxRss, rssBytes(server.child.pid));
    maxWal = Math.max(maxWal, sizeOf(`${file}-wal`));
  };
  const timer = setInterval(sample, 500);
  try {
    const row = await run();
    sample();
    return {
      label,
      row,
      rss: rssBytes(server.child.pid),
      maxRss,
      db: sizeOf(file),
      wal: sizeOf(`${file}-wal`),
      maxWal,
    };
  } finally {
    clearInterval(timer);
  }
}

function printStep(s: Step): void {
  const mb = (bytes: number) => (bytes / MB).toFixed(0).padStart(6);
  console.log(
    `${s.label.padEnd(22)} ${Math.round(s.row.requestsPerSecond).toLocaleString('en-US').padStart(8)}/s` +
      `  p99 ${s.row.p99.toFixed(1).padStart(6)} ms  errors ${String(s.row.errors + s.row.non2xx).padStart(3)}` +
      `  RSS ${mb(s.rss)} MB (max ${mb(s.maxRss)})  db ${mb(s.db)} MB  WAL ${mb(s.wal)} MB (max ${mb(s.maxWal)})` +
      (s.relative === undefined ? '' : `  ${s.relative.toFixed(3)} × bare`),
  );
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-sessions-'));
  const file = join(dir, 'tessera.db');
  console.log(
    `${TOTAL.toLocaleString('en-US')} new sessions in steps of ${STEP.toLocaleString('en-US')}, then rewards for a tenth; ` +
      `${CONNECTIONS} connections, ${GENERATOR}, ${new Date().toISOString().slice(0, 16)} UTC`,
  );
  const bare = await start('bench/bare-server.ts');
  const server = await start('bench/tessera-server.ts', { BENCH_DATABASE_DIR: dir });
  try {
    const bareBase = `http://127.0.0.1:${bare.info.port}`;
    const bareTurn = async () =>
      (
        await load('bare', {
          base: bareBase,
          target: { fixed: '/' },
          body: '{}',
          seconds: BARE_SECONDS,
          server: bare,
        })
      ).requestsPerSecond;
    const { port, account, key } = server.info as { port: number; account: string; key: string };
    const base = `http://127.0.0.1:${port}`;
    const path = runtimePath({ account, key }, '');
    // Waits for the commit and checkpoint threads to start, outside the first step's time.
    await fetch(`${base}${path}warm`, {
      method: 'POST',
      body: selection,
      headers: { 'content-type': 'application/json' },
    });

    const steps: Step[] = [];
    let sessions = 0;
    const stepCount = Math.ceil(TOTAL / STEP);
    let bareBefore = await bareTurn();
    for (let i = 0; i < stepCount; i++) {
      const amount = Math.min(STEP, TOTAL - i * STEP);
      const s = await step(`sessions ${(i * STEP).toLocaleString('en-US')}+`, server, file, () =>
        load(`step ${i}`, { base, target: { prefix: `${path}s${i}-` }, body: selection, amount, server }),
      );
      const bareAfter = await bareTurn();
      s.relative = s.row.requestsPerSecond / ((bareBefore + bareAfter) / 2);
      bareBefore = bareAfter;
      sessions += s.row.requests;
      steps.push(s);
      printStep(s);
    }
    const rewardSteps: Step[] = [];
    for (let i = 0; i < stepCount; i++) {
      const amount = Math.ceil(Math.min(STEP, TOTAL - i * STEP) / 10);
      // Sessions s<i>-0 … of step i, each selected there (one step's sessions are numbered from 0).
      const s = await step(`rewards of step ${i}`, server, file, () =>
        load(`rewards ${i}`, {
          base,
          target: { prefix: `${path}s${i}-`, cycle: amount },
          body: reward,
          amount,
          server,
        }),
      );
      rewardSteps.push(s);
      printStep(s);
    }
    const final = await stop(server);
    const events = (final?.events ?? {}) as Record<string, number>;
    console.log(
      `${sessions.toLocaleString('en-US')} selections answered; the server counted ${events.selectionsCounted} selections ` +
        `and ${events.rewardsCounted} rewards in ${events.batches} group commits (${(events.commitMs / events.batches).toFixed(1)} ms on average, ${events.maxCommitMs?.toFixed(0)} ms at most)`,
    );
    const all = [...steps, ...rewardSteps];
    const [firstStep, lastStep] = [steps[0], steps[steps.length - 1]];
    const first = firstStep.row.requestsPerSecond;
    const last = lastStep.row.requestsPerSecond;
    const relative = (lastStep.relative ?? Number.NaN) / (firstStep.relative ?? Number.NaN);
    const maxRss = Math.max(...all.map((s) => s.maxRss));
    const maxWal = Math.max(...all.map((s) => s.maxWal));
    const verdict = (ok: boolean) => (ok ? 'met' : 'NOT met');
    console.log(
      `Targets: last step ${relative.toFixed(2)} × the first, each against the bare server beside it (≥ 0.8: ${verdict(relative >= 0.8)}; ` +
        `${(last / first).toFixed(2)} × in requests/s alone); ` +
        `resident memory at most ${(maxRss / MB).toFixed(0)} MB (< 512: ${verdict(maxRss < 512 * MB)}); ` +
        `WAL at most ${(maxWal / MB).toFixed(0)} MB (< 256: ${verdict(maxWal < 256 * MB)})`,
    );
  } finally {
    await stop(bare);
    if (server.child.exitCode === null) server.child.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
