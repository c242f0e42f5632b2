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
import { parse as parseQuery } from 'fast-querystring';

const account = 'acc-floor';
const key = 'floor-key';
const keys = new Map([[key, { accountId: account }]]);
const variations = [
  { c: 'A', md: { headline: 'a' } },
  { c: 'B', md: { headline: 'b' } },
];
const sessions = new Map<string, (typeof variations)[number]>();
const PATH = /^\/([A-Za-z0-9_-]{1,64})\/v3\/agent-api$/;

const server = createServer((request, response) => {
  const parts: Buffer[] = [];
  request.on('data', (part: Buffer) => parts.push(part));
  request.on('end', () => {
    const url = request.url ?? '';
    const queryAt = url.indexOf('?');
    const path = PATH.exec(queryAt === -1 ? url : url.slice(0, queryAt));
    const query = parseQuery(queryAt === -1 ? '' : url.slice(queryAt + 1)) as Record<string, string>;
    const found = keys.get(query.apikey);
    let body: { commands?: { a?: string }[] };
    try {
      body = JSON.parse(Buffer.concat(parts).toString('utf8'));
    } catch {
      response.writeHead(400).end();
      return;
    }
    if (!path || !found || found.accountId !== path[1] || !Array.isArray(body.commands)) {
      response.writeHead(401).end();
      return;
    }
    const session = query.session || `s-${Math.random()}`;
    const items = [];
    const sels: Record<string, string> = {};
    for (const command of body.commands) {
      if (typeof command.a !== 'string') continue;
      const id = `${path[1]}\u0000${session}\u0000${command.a}`;
      let chosen = sessions.get(id);
      if (!chosen) {
        chosen = variations[Math.floor(Math.random() * variations.length)];
        sessions.set(id, chosen);
      }
      items.push({ a: command.a, c: chosen.c, p: 's', s: 'ok', md: chosen.md });
      sels[command.a] = chosen.c;
    }
    const answer = JSON.stringify({ status: 200, data: { session, items, sels, traits: [] } });
    response.writeHead(200, {
      'cache-control': 'no-store',
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(answer),
      'access-control-allow-origin': '*',
    });
    response.end(answer);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object')
    process.stdout.write(`${JSON.stringify({ port: address.port, account, key })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
