/**
 * Aimed agents (docs/targeting.md) decided in Chromium by the served script tag exactly as the
 * server's engine decides them: 2,000 sessions, two requests each, with varied inputs, traits and
 * times. The variety below repeats every 60 sessions and covers the 336 hours of two weeks every
 * 336, so 2,000 sessions meet every combination of the two (1,680); the volume is checked in this
 * realm by src/script/agreement.test.ts (10,000 sessions, every tenth through the runtime service).
 * Each decision also rewrites the script's queue of unsent events (up to 500) in localStorage,
 * since the page never idles long enough to send it, so a decision costs milliseconds here: 10,000
 * sessions took over two minutes of a CI machine's CPU for no case that 2,000 do not meet.
 */
import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { Snapshot } from '../src/agents/snapshot.js';
import { type Command, emptyVisitorState, execute } from '../src/runtime/engine.js';
import {
  type BrowserPage,
  type BrowserServer,
  browserSkipReason,
  launchBrowser,
  openPage,
  startServer,
} from './helpers/browser.js';
import { AIMED_AGENTS, putAimedAgents } from './helpers/script-agents.js';

const skip = browserSkipReason();
const SESSIONS = 2_000;

interface Request {
  session: string;
  commands: Command[];
  inputs: Record<string, string>;
  traits: string[];
  now: number;
}

function requestsOf(i: number): Request[] {
  // Deterministic variety from the index: every operator meets values that pass and fail.
  const plans = ['free', 'pro', 'team'];
  const seats = ['0', '3', '10', '60', 'many'];
  return [0, 1].map((n) => ({
    session: `chromium-${i}`,
    commands: AIMED_AGENTS.slice(n === 0 && i % 4 === 0 ? 1 : 0).map((a) => ({ a })),
    inputs: {
      plan: plans[(i + n) % 3],
      seats: seats[(i * 7 + n) % 5],
      url: i % 2 === 0 ? '/shop/sale' : '/home',
      ...(i % 5 < 2 ? { country: i % 5 === 0 ? 'FR' : 'US' } : {}),
    },
    traits: i % 3 === 0 ? ['tier:gold', 'beta:y'] : [],
    now: Date.UTC(2026, 11, 1) + ((i * 7919 + n * 104_729) % (14 * 24)) * 3_600_000,
  }));
}

describe('aimed agents in Chromium', { skip }, () => {
  let server: BrowserServer;
  let pages: Server;
  let browser: Browser;
  let shopper: BrowserPage;
  let snapshot: Snapshot;
  let scriptUrl: string;

  before(async () => {
    server = await startServer();
    const { t } = server;
    await putAimedAgents(t);
    const targets = await t.services.deployTargets.list(t.account.id);
    const jsTarget = targets.find((d) => d.kind === 'js')?.id;
    const restTarget = targets.find((d) => d.kind === 'rest')?.id as string;
    snapshot = (await t.services.snapshots.get(t.account.id, restTarget)) as Snapshot;
    pages = createServer((_, response) => {
      response.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>aim</title>');
    });
    await new Promise<void>((resolve) => pages.listen(0, '127.0.0.1', resolve));
    const pageUrl = `http://localhost:${(pages.address() as AddressInfo).port}/`;
    const { secret } = await t.services.keys.createKey(
      t.account.id,
      { kind: 'js', name: 'Aim pages', allowedOrigins: [new URL(pageUrl).origin] },
      'test',
    );
    scriptUrl = `${server.baseURL}/${t.account.id}/v3/agent-api/js/${jsTarget}?apikey=${secret}`;
    browser = await launchBrowser();
    shopper = await openPage(browser, { baseURL: pageUrl });
    await shopper.page.goto(pageUrl);
    await shopper.page.addScriptTag({ url: scriptUrl });
  });

  after(async () => {
    await browser?.close();
    await new Promise((resolve) => pages?.close(resolve));
    await server?.close();
  });

  test(`${SESSIONS} sessions, two requests each, answered as the server's engine answers`, {
    timeout: 300_000,
  }, async () => {
    const all = Array.from({ length: SESSIONS }, (_, i) => requestsOf(i));
    const answers = await shopper.page.evaluate((sessions: Request[][]) => {
      const api = (
        window as unknown as {
          Tessera: {
            ClientApi: new (
              o: object,
            ) => { exec: (request: object, done: (err: unknown, data: unknown) => void) => void };
          };
        }
      ).Tessera;
      return sessions.map((requests) =>
        requests.map((r) => {
          let answer: unknown;
          new api.ClientApi({ session: r.session, traits: r.traits, now: r.now, ua: 'Chromium test' }).exec(
            { commands: r.commands, inputs: r.inputs },
            (_err: unknown, data: unknown) => {
              answer = data;
            },
          );
          return answer;
        }),
      );
    }, all);
    const mismatches: string[] = [];
    const policies = new Set<string>();
    all.forEach((requests, i) => {
      let state = emptyVisitorState();
      requests.forEach((r, n) => {
        const result = execute(snapshot, state, {
          session: r.session,
          commands: r.commands,
          inputs: r.inputs,
          queryTraits: r.traits,
          userAgent: 'Chromium test',
          debug: false,
          now: r.now,
        });
        state = result.state;
        const expected = JSON.stringify({
          session: r.session,
          items: result.items,
          sels: result.sels,
          traits: result.traits,
        });
        const got = JSON.stringify(answers[i][n]);
        if (got !== expected) mismatches.push(`${r.session} #${n}: browser ${got} server ${expected}`);
        for (const item of result.items) if ('p' in item) policies.add(`${item.a}:${item.p}`);
      });
    });
    assert.deepEqual(mismatches.slice(0, 3), [], `${mismatches.length} requests differ`);
    for (const p of ['a-rules:f', 'a-rules:r', 'a-eligible:x', 'a-eligible:r', 'a-group-1:x', 'a-group-1:r'])
      assert.ok(policies.has(p), `${p} came up (${[...policies].join(' ')})`);
    assert.deepEqual(shopper.problems, []);
  });
});
