/**
 * The runtime floor: a bare node:http server doing what a selection for a known session must do
 * at the least, and nothing of Tessera: read the path, the query and the JSON body, find the key
 * presented (a map lookup), find the session's remembered variation (a map lookup; a new session
 * gets one at random, kept in memory only), and answer the runtime's JSON with its headers. No
 * validation, text check, authorization, engine, lock, usage, metrics or durability. What the
 * repeated-session selection costs on this machine without Tessera.
 * Prints its port, an account and a key on stdout once listening, as bench/tessera-server.ts does.
 */
import { createServer } from 'node:http';
import { answerRuntime, readRuntimeRequest } from './runtime-request.js';

const account = 'acc-floor';
const key = 'floor-key';
const keys = new Map([[key, { accountId: account }]]);
const variations = [
  { c: 'A', md: { headline: 'a' } },
  { c: 'B', md: { headline: 'b' } },
];
const sessions = new Map<string, (typeof variations)[number]>();

const server = createServer((request, response) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    const read = readRuntimeRequest(request.url ?? '', Buffer.concat(parts), keys, response);
    if (!read) return;
    const session = read.query.session || `s-${Math.random()}`;
    const items = [];
    const sels: Record<string, string> = {};
    for (const command of read.commands) {
      if (typeof command.a !== 'string') continue;
      const id = `${read.account}\u0000${session}\u0000${command.a}`;
      let chosen = sessions.get(id);
      if (!chosen) {
        chosen = variations[Math.floor(Math.random() * variations.length)];
        sessions.set(id, chosen);
      }
      items.push({ a: command.a, c: chosen.c, p: 's', s: 'ok', md: chosen.md });
      sels[command.a] = chosen.c;
    }
    answerRuntime(response, { session, items, sels, traits: [] });
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object')
    process.stdout.write(`${JSON.stringify({ port: address.port, account, key })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
