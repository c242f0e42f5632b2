/**
 * The port answers from the moment `tessera serve` starts: while the server waits for its store
 * (and migrates it), every request, /health included, gets 503 `starting` with Retry-After, as
 * a server that is not ready should answer. Closed just before the real server listens.
 */
import { once } from 'node:events';
import { createServer } from 'node:http';

const BODY = JSON.stringify({
  status: 503,
  err: 'Tessera is starting: it is waiting for its store; retry shortly',
  code: 'starting',
});

export async function answerWhileStarting(port: number, host: string): Promise<{ close(): Promise<void> }> {
  const server = createServer((_request, response) => {
    response.writeHead(503, {
      'content-type': 'application/json; charset=utf-8',
      'retry-after': '1',
      'cache-control': 'no-store',
      connection: 'close',
    });
    response.end(BODY);
  });
  server.listen(port, host);
  await once(server, 'listening');
  return {
    async close() {
      const closed = once(server, 'close');
      server.close();
      server.closeAllConnections();
      await closed;
    },
  };
}
