/**
 * What a change does, in alternating turns: Tessera servers of two checkouts (or of one, with
 * different settings) started side by side and sent the same scenario turn by turn, the order
 * reversed every round, so the host's drift (its speed moves by a third within minutes) falls on
 * each of them alike. The measurements of docs/performance.md's rounds were taken this way.
 *
 *   npx tsx bench/turns.ts [new|made|repeated|reward] NAME=DIR[?KEY=VALUE&…] NAME=DIR…
 *
 * - new: a new session on every request, named in sequence as the main bench names them (the
 *   default); made: a new session on every request, made by Tessera (22 random characters, as
 *   clients that send none get); repeated: one session's selection;
 *   reward: the sessions of a selection turn just before (twice as long, so a turn's rewards do
 *   not run past them), each rewarded once.
 * - DIR is a checkout whose bench/tessera-server.ts is started, say an earlier commit's worktree:
 *   `git worktree add /tmp/before HEAD~1 && ln -s "$PWD/node_modules" /tmp/before/`. What
 *   follows `?` is that server's environment (`BENCH_KEY_USAGE=off`, `BENCH_FAST_PATH=off`, …).
 *   DIR `floor` is this checkout's durable floor instead (bench/durable-floor.ts), which takes the
 *   runtime's requests with `?BENCH_FLOOR=least` or `?BENCH_FLOOR=required`: Tessera beside the
 *   floors, in the same turns.
 * - BENCH_TURN_ROUNDS (12) rounds of BENCH_TURN_SECONDS (3) per server.
 *
 * Prints each server's requests/s and CPU per request in the median round and, against the first
 * server, the median of the rounds' ratios and each round's. Two identical servers measured this
 * way differed by 0.91 to 1.35 × in single rounds, and the one started first answered about 5%
 * less: trust a median of many rounds, and run a change both first and second.
 */
import { resolve } from 'node:path';
import {
  CONNECTIONS,
  GENERATOR,
  load,
  median,
  type Row,
  reward,
  runtimePath,
  type Started,
  selection,
  start,
  stop,
} from './load.js';

const SCENARIOS = ['new', 'made', 'repeated', 'reward'] as const;
type Scenario = (typeof SCENARIOS)[number];
const TITLES: Record<Scenario, string> = {
  new: 'New sessions',
  made: 'New sessions made by Tessera',
  repeated: 'The repeated session',
  reward: 'Rewards',
};

const args = process.argv.slice(2);
const scenario: Scenario = SCENARIOS.includes(args[0] as Scenario) ? (args.shift() as Scenario) : 'new';
const specs = args.map((arg) => {
  const match = /^([^=]+)=([^?]+)(?:\?(.*))?$/.exec(arg);
  if (!match) throw new Error(`not NAME=DIR[?KEY=VALUE&…]: ${arg}`);
  const [, name, dir, query] = match;
  return {
    name,
    script:
      dir === 'floor'
        ? new URL('./durable-floor.ts', import.meta.url).pathname
        : resolve(dir, 'bench/tessera-server.ts'),
    env: Object.fromEntries(new URLSearchParams(query)),
  };
});
if (specs.length < 2) {
  process.stderr.write(
    'usage: npx tsx bench/turns.ts [new|made|repeated|reward] NAME=DIR[?KEY=VALUE&…] NAME=DIR…\n',
  );
  process.exit(2);
}
const ROUNDS = Math.max(1, Number(process.env.BENCH_TURN_ROUNDS ?? 12));
const SECONDS = Math.max(1, Number(process.env.BENCH_TURN_SECONDS ?? 3));

interface Server {
  name: string;
  started: Started;
  base: string;
  rows: Row[];
}

let turn = 0;
/** One turn of the scenario; a reward turn first selects the sessions it then rewards. */
async function measure(server: Server, seconds: number): Promise<Row> {
  const { started, base, name } = server;
  const prefix = `${scenario}-${turn++}-`;
  if (scenario === 'repeated')
    return load(name, {
      base,
      target: { fixed: runtimePath(started.info, 'repeated') },
      body: selection,
      seconds,
      server: started,
    });
  if (scenario === 'made') {
    const path = runtimePath(started.info, '').replace('&session=', '');
    return load(name, { base, target: { fixed: path }, body: selection, seconds, server: started });
  }
  if (scenario === 'new')
    return load(name, {
      base,
      target: { prefix: runtimePath(started.info, prefix) },
      body: selection,
      seconds,
      server: started,
    });
  // Selected for twice the reward turn's time: a reward turn that runs past its sessions repeats
  // them, and a repeat credits nothing and writes nothing. With half the time, as before, about
  // 45% of a turn's rewards were such repeats, which the durable floor's requests never are.
  const selected = await load(name, {
    base,
    target: { prefix: runtimePath(started.info, prefix) },
    body: selection,
    seconds: seconds * 2,
    server: started,
  });
  return load(name, {
    base,
    target: { prefix: runtimePath(started.info, prefix), cycle: Math.max(1, selected.requests) },
    body: reward,
    seconds,
    server: started,
  });
}

const whole = (n: number) => Math.round(n).toLocaleString('en-US');

const servers: Server[] = [];
try {
  for (const { name, script, env } of specs) {
    const started = await start(script, env);
    servers.push({ name, started, base: `http://127.0.0.1:${started.info.port}`, rows: [] });
  }
  // Each warmed up on the scenario's path before the first round.
  for (const server of servers) await measure(server, 2);
  for (let round = 0; round < ROUNDS; round++) {
    for (const server of round % 2 === 0 ? servers : [...servers].reverse())
      server.rows.push(await measure(server, SECONDS));
  }
} finally {
  for (const server of servers) await stop(server.started);
}

process.stdout.write(
  `${TITLES[scenario]}, ${ROUNDS} round${ROUNDS === 1 ? '' : 's'} of ${SECONDS} s per server, ${GENERATOR}, ${CONNECTIONS} connections\n`,
);
const first = servers[0];
let failed = false;
for (const server of servers) {
  const rates = server.rows.map((row) => row.requestsPerSecond);
  const cpu = median(server.rows.map((row) => row.cpuPerRequest ?? Number.NaN));
  const ratios = rates.map((rate, i) => rate / first.rows[i].requestsPerSecond);
  const refused = server.rows.reduce((sum, row) => sum + row.non2xx + row.errors, 0);
  if (refused > 0) failed = true;
  process.stdout.write(
    `${server.name.padEnd(12)} ${whole(median(rates)).padStart(8)} requests/s, ${cpu.toFixed(1)} µs CPU a request` +
      (server === first
        ? ''
        : `; × ${first.name} ${median(ratios).toFixed(3)} (rounds: ${ratios.map((r) => r.toFixed(2)).join(' ')})`) +
      (refused > 0 ? `; ${refused} errors or non-2xx` : '') +
      '\n',
  );
}
if (failed) process.exitCode = 1;
