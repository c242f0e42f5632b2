/**
 * The durable floor: a bare node:http server that parses each request's JSON body and, before
 * answering, appends one row (a visitor state for a session of its own) through Tessera's event
 * writer: the same group commit, on a SQLite file the same commit thread with the same settings
 * (WAL, synchronous=FULL), on PostgreSQL the same pool. Nothing else of Tessera runs: no routing,
 * authentication, engine or reads. What a durable answer costs on this machine, without Tessera.
 * Prints its port on stdout once listening; BENCH_DATABASE_URL (and BENCH_DATABASE_SCHEMA) pick
 * the store, a fresh SQLite file by default.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createEventWriter } from '../src/events/event-writer.js';
import { openStore } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';

const dir = mkdtempSync(join(tmpdir(), 'tessera-floor-'));
const store = openStore({
  url: process.env.BENCH_DATABASE_URL ?? `sqlite:${join(dir, 'floor.db')}`,
  ...(process.env.BENCH_DATABASE_SCHEMA ? { schema: process.env.BENCH_DATABASE_SCHEMA } : {}),
});
await migrateToLatest(store);
const events = createEventWriter(store);
// One write before listening: the commit thread has started (compiled its TypeScript) by then.
await events.record({
  visitor: { accountId: 'floor', session: 'warm', state: '{}', at: Date.now() },
  selections: [],
  rewards: [],
});

const body = JSON.stringify({
  status: 200,
  data: {
    session: 'bench-session-0000000000',
    items: [{ a: 'a-bench', c: 'B', p: 's', s: 'ok', md: { headline: 'b' } }],
    sels: { 'a-bench': 'B' },
    traits: [],
  },
});

let next = 0;
const server = createServer((request, response) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    let commands: unknown;
    try {
      commands = JSON.parse(Buffer.concat(parts).toString('utf8')).commands;
    } catch {
      response.writeHead(400).end();
      return;
    }
    const state = JSON.stringify({ selections: {}, rewarded: [], traits: [], commands });
    events
      .record({
        visitor: { accountId: 'floor', session: `floor-${next++}`, state, at: Date.now() },
        selections: [],
        rewards: [],
      })
      .then(
        () => {
          response.writeHead(200, {
            'content-type': 'application/json; charset=utf-8',
            'content-length': Buffer.byteLength(body),
          });
          response.end(body);
        },
        () => response.writeHead(503).end(),
      );
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object')
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
process.on('SIGTERM', () => {
  server.close();
  server.closeAllConnections();
  void (async () => {
    const stats = events.stats();
    await events.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
    process.stdout.write(`${JSON.stringify({ events: stats })}\n`);
    process.exit(0);
  })();
});
