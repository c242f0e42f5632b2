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
import { DOZEN_AGENTS, putDozenAgents } from '../../test/helpers/script-agents.js';
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
