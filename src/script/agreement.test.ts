/**
 * The script tag decides like the server: for 10,000 sessions, the script as the server serves it
 * (built and minified, run with a fake window) answers every selection and reward exactly as the server's
 * engine does for the same session on a REST target serving the same configuration, and for every
 * tenth session also as the whole runtime service (store and all) answers it — random
 * allocations of every shape, conditions on inputs and traits, allow and exclude lists,
 * provisional selections, paused and stopped agents, sessions with non-ASCII characters.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import {
  AIMED_AGENTS,
  DOZEN_AGENTS,
  putAimedAgents,
  putDozenAgents,
} from '../../test/helpers/script-agents.js';
import { loadScript } from '../../test/helpers/script-vm.js';
import type { Snapshot } from '../agents/snapshot.js';
import { type Command, emptyVisitorState, execute } from '../runtime/engine.js';

const SESSIONS = 10_000;
const MOBILE_UA = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) Mobile/15E148';
const DESKTOP_UA = 'Mozilla/5.0 (X11; Linux x86_64) Chrome/120.0';

let t: TestApp;
let script: string;
let restTarget: string;
let snapshot: Snapshot;

before(async () => {
  t = await createTestApp();
  await putDozenAgents(t);
  await putAimedAgents(t);
  const targets = await t.services.deployTargets.list(t.account.id);
  restTarget = targets.find((d) => d.kind === 'rest')?.id as string;
  const jsTarget = targets.find((d) => d.kind === 'js')?.id as string;
  const key = await t.key('js');
  const res = await t.call({ url: `/${t.account.id}/v3/agent-api/js/${jsTarget}?apikey=${key.secret}` });
  assert.equal(res.statusCode, 200, res.body);
  script = res.body;
  snapshot = (await t.services.snapshots.get(t.account.id, restTarget)) as Snapshot;
});
after(() => t.close());

function sessionOf(i: number): string {
  if (i % 7 === 0) return `sé-${i}-✓`;
  if (i % 11 === 0) return `visitor-😀-${i}`;
  return `agree-${i}`;
}

function commandsOf(i: number): Command[] {
  const commands: Command[] = DOZEN_AGENTS.map((a) => ({ a }));
  commands.push({ a: 'a-three', c: ['B', 'C'] }, { a: 'a-five', x: ['V5', 'V4'] });
  if (i % 3 === 0) commands.push({ a: 'a-skew', s: 'p' });
  if (i % 2 === 0) commands.push({ g: 'g-buy' });
  if (i % 5 === 0) commands.push({ g: 'g-revenue', v: 12.5 }, { g: 'g-buy' });
  return commands;
}

test(`the built script allocates ${SESSIONS.toLocaleString('en')} sessions exactly as the server`, async () => {
  // The served script, byte for byte, in this realm: a vm context would make 10,000 sessions
  // several times slower (its own tests run it in node:vm).
  const page = loadScript(script, { realm: 'this' });
  const mismatches: string[] = [];
  const variationsSeen = new Map<string, Set<string>>();
  const BATCH = 200;
  for (let start = 0; start < SESSIONS; start += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, SESSIONS - start) }, async (_, k) => {
        const i = start + k;
        const session = sessionOf(i);
        const commands = commandsOf(i);
        const inputs = { plan: ['free', 'pro', 'team'][i % 3] };
        const traits = i % 4 === 0 ? ['F:1'] : [];
        const ua = i % 6 === 0 ? MOBILE_UA : DESKTOP_UA;
        const local = page.exec({ commands, inputs }, { session, traits, ua });
        page.runTimers(); // sends the session's beacon, so the queue stays small
        const request = { session, commands, inputs, queryTraits: traits, userAgent: ua, debug: false };
        const { items, sels, traits: sessionTraits } = execute(snapshot, emptyVisitorState(), request);
        const expected = [JSON.stringify({ session, items, sels, traits: sessionTraits })];
        if (i % 10 === 0) {
          const answer = await t.services.runtime.execute({
            ...request,
            accountId: t.account.id,
            deployTargetId: restTarget,
          });
          expected.push(JSON.stringify(answer));
        }
        for (const server of expected) {
          if (JSON.stringify(local) !== server)
            mismatches.push(`${session}: script ${JSON.stringify(local)} server ${server}`);
        }
        for (const [agent, variation] of Object.entries(local.sels)) {
          const seen = variationsSeen.get(agent) ?? new Set<string>();
          seen.add(variation);
          variationsSeen.set(agent, seen);
        }
      }),
    );
  }
  assert.deepEqual(mismatches.slice(0, 5), [], `${mismatches.length} sessions differ`);
  // The comparison covered what it claims: every random variation came up somewhere.
  assert.deepEqual([...(variationsSeen.get('a-five') ?? [])].sort(), ['V1', 'V2', 'V3']);
  assert.deepEqual([...(variationsSeen.get('a-checkout') ?? [])].sort(), ['A', 'B', 'C', 'D']);
  assert.deepEqual([...(variationsSeen.get('a-zero') ?? [])].sort(), ['A', 'B', 'C']);
  assert.deepEqual([...(variationsSeen.get('a-mobile') ?? [])].sort(), ['Desktop', 'Mobile']);
  assert.equal(variationsSeen.has('a-stopped'), false);
  assert.ok(page.sent.length > 0, 'the counted selections were sent');
});

// ---- aiming (docs/targeting.md): every rule operator, eligibility, an exclusion group ----------

/** A small deterministic generator, so a failure can be replayed. */
function generator(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 4294967296;
  };
}

test(`aimed agents: ${SESSIONS.toLocaleString('en')} sessions with random inputs, traits and times, two requests each, decided alike`, async () => {
  const page = loadScript(script, { realm: 'this' });
  const random = generator(17);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)];
  const mismatches: string[] = [];
  const seen = new Map<string, Set<string>>();
  const aimedCommands: Command[] = AIMED_AGENTS.map((a) => ({ a }));
  const BATCH = 200;
  for (let start = 0; start < SESSIONS; start += BATCH) {
    await Promise.all(
      Array.from({ length: Math.min(BATCH, SESSIONS - start) }, async (_, k) => {
        const i = start + k;
        const session = `aim-${i}${i % 9 === 0 ? '-é' : ''}`;
        const requests = [0, 1].map((n) => {
          const inputs: Record<string, string> = {};
          if (random() < 0.8) inputs.plan = pick(['free', 'pro', 'team', 'enterprise']);
          if (random() < 0.7) inputs.seats = pick(['0', '3', '10', '25', '100', 'many', '']);
          if (random() < 0.5) inputs.url = pick(['/shop/a', '/sale/b', '/shop/sale', '/home']);
          if (random() < 0.5) inputs.country = pick(['FR', 'DE', 'US', 'JP']);
          const traits: string[] = [];
          if (random() < 0.4) traits.push(`tier:${pick(['gold', 'silver', 'bronze'])}`);
          if (random() < 0.3) traits.push('beta:y');
          const ua = random() < 0.3 ? MOBILE_UA : DESKTOP_UA;
          // Any moment of a fortnight, so every weekday and hour comes up.
          const now = Date.UTC(2026, 11, 1) + Math.floor(random() * 14 * 86_400_000);
          // Some first requests leave a-rules out, so it meets returning visitors afresh.
          const asked = n === 0 && random() < 0.3 ? aimedCommands.slice(1) : aimedCommands;
          const commands = random() < 0.3 ? [...asked, { g: 'g-buy' } as Command] : asked;
          return { commands, inputs, traits, ua, now };
        });
        // The script's requests first, back to back: its saved state is one session's at a time.
        const local = requests.map((r) =>
          page.exec(
            { commands: r.commands, inputs: r.inputs },
            { session, traits: r.traits, ua: r.ua, now: r.now },
          ),
        );
        page.runTimers();
        let state = emptyVisitorState();
        for (const [n, r] of requests.entries()) {
          const request = {
            session,
            commands: r.commands,
            inputs: r.inputs,
            queryTraits: r.traits,
            userAgent: r.ua,
            debug: false,
            now: r.now,
          };
          const result = execute(snapshot, state, request);
          state = result.state;
          const expected = [
            JSON.stringify({ session, items: result.items, sels: result.sels, traits: result.traits }),
          ];
          if (i % 10 === 0) {
            const answer = await t.services.runtime.execute({
              ...request,
              accountId: t.account.id,
              deployTargetId: restTarget,
            });
            expected.push(JSON.stringify(answer));
          }
          for (const server of expected) {
            if (JSON.stringify(local[n]) !== server)
              mismatches.push(`${session} #${n}: script ${JSON.stringify(local[n])} server ${server}`);
          }
          for (const it of local[n].items) {
            if (!('a' in it)) continue;
            const set = seen.get(it.a) ?? new Set<string>();
            set.add(`${it.p}:${it.c}`);
            seen.set(it.a, set);
          }
        }
      }),
    );
  }
  assert.deepEqual(mismatches.slice(0, 5), [], `${mismatches.length} requests differ`);
  // Every rule both held and failed somewhere, and the group placed sessions in each member.
  for (const agent of AIMED_AGENTS) {
    const policies = new Set([...(seen.get(agent) ?? [])].map((e) => e.split(':')[0]));
    assert.ok(policies.has('x') || policies.has('f'), `${agent}: ${[...policies]}`);
    assert.ok(policies.has('r') || policies.has('s'), `${agent}: ${[...policies]}`);
  }
  for (const agent of ['a-rules'])
    assert.deepEqual([...(seen.get(agent) ?? [])].filter((e) => e.startsWith('f:')).sort(), [
      'f:B',
      'f:C',
      'f:D',
      'f:E',
      'f:F',
      'f:G',
    ]);
});
