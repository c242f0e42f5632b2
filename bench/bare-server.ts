/**
 * The baseline: a bare node:http server answering a fixed JSON body of about the runtime
 * answer's size. Prints its port on stdout once listening.
 */
import { createServer } from 'node:http';

const body = JSON.stringify({
  status: 200,
  data: {
    session: 'bench-session-0000000000',
    items: [{ a: 'a-bench', c: 'B', p: 's', s: 'ok', md: { headline: 'b' } }],
    sels: { 'a-bench': 'B' },
    traits: [],
  },
});

const server = createServer((request, response) => {
  // Read (and drop) the request body, as a real server must.
  request.resume();
  request.on('end', () => {
    response.writeHead(200, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    });
    response.end(body);
  });
});
server.keepAliveTimeout = 60_000;
server.listen(0, '127.0.0.1', () => {
  const address = server.address();
  if (address && typeof address === 'object')
    process.stdout.write(`${JSON.stringify({ port: address.port })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
