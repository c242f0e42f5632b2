/**
 * A TCP proxy in front of PostgreSQL that can silence one connection, picked by the
 * application_name of its startup message: a silent partition of that connection alone. Bytes
 * either way are held, not dropped, and flow again on thaw. Freezing the database backend with
 * SIGSTOP instead can leave it holding PostgreSQL's notification-queue lock (every listener of a
 * database reads the queue on every NOTIFY), which stalls every NOTIFY on the database, other
 * test files' included.
 */
import net from 'node:net';

export interface PostgresProxy {
  /** `url` with the proxy's host and port. */
  url: string;
  /** Silences the open connections of that application_name; answers how many. */
  freeze(applicationName: string): number;
  /** Lets the silenced connections speak again, with what they held, in order. */
  thaw(): void;
  close(): Promise<void>;
}

interface Link {
  applicationName: string | undefined;
  frozen: boolean;
  held: Array<() => void>;
  sockets: net.Socket[];
}

/** The parameters of a startup message (length, protocol, then name\0value\0 pairs, \0). */
function startupParameters(message: Buffer): Record<string, string> {
  const parts = message.subarray(8, message.readInt32BE(0)).toString('utf8').split('\0');
  const parameters: Record<string, string> = {};
  for (let i = 0; i + 1 < parts.length; i += 2) parameters[parts[i]] = parts[i + 1];
  return parameters;
}

export async function startPostgresProxy(url: string): Promise<PostgresProxy> {
  const target = new URL(url);
  const links = new Set<Link>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(target.port || 5432), target.hostname || '127.0.0.1');
    const link: Link = { applicationName: undefined, frozen: false, held: [], sockets: [client, upstream] };
    links.add(link);
    const send = (to: net.Socket, chunk: Buffer) => {
      if (link.frozen) link.held.push(() => to.write(chunk));
      else to.write(chunk);
    };
    let startup: Buffer | undefined = Buffer.alloc(0);
    client.on('data', (chunk: Buffer) => {
      if (startup) {
        startup = Buffer.concat([startup, chunk]);
        if (startup.length >= 8 && startup.length >= startup.readInt32BE(0)) {
          link.applicationName = startupParameters(startup).application_name;
          startup = undefined;
        }
      }
      send(upstream, chunk);
    });
    upstream.on('data', (chunk: Buffer) => send(client, chunk));
    const end = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    for (const socket of link.sockets) {
      socket.on('close', end);
      socket.on('error', end);
    }
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as net.AddressInfo;
  const proxied = new URL(url);
  proxied.hostname = '127.0.0.1';
  proxied.port = String(address.port);
  return {
    url: proxied.toString(),
    freeze(applicationName) {
      let frozen = 0;
      for (const link of links) {
        if (link.applicationName !== applicationName) continue;
        link.frozen = true;
        frozen++;
      }
      return frozen;
    },
    thaw() {
      for (const link of links) {
        if (!link.frozen) continue;
        link.frozen = false;
        for (const write of link.held.splice(0)) write();
      }
    },
    async close() {
      for (const link of links) for (const socket of link.sockets) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
