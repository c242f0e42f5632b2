/**
 * The change feed across servers sharing one PostgreSQL database: each server LISTENs on a
 * dedicated connection (not a pooled one), and every published change is sent with pg_notify.
 * Local listeners hear a change at once, as with the local feed; other servers hear it within
 * milliseconds. Notifications are not replayed, so after the listening connection is lost and
 * re-established every cache is told to `resync` (forget everything).
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import type { Change, ChangeFeed, ChangeListener } from './changes.js';

export interface PostgresChangeFeed extends ChangeFeed {
  /** resolves once the first LISTEN is in place */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface PostgresChangeFeedOptions {
  url: string;
  /** servers on different schemas of one database (tests) must not hear each other */
  schema?: string;
  /** where a lost connection is reported; the feed itself keeps reconnecting */
  onError?: (error: Error) => void;
  reconnectDelayMs?: number;
}

interface Envelope {
  from: string;
  change: Change;
}

export function createPostgresChangeFeed(options: PostgresChangeFeedOptions): PostgresChangeFeed {
  const channel = `tessera_changes${options.schema ? `_${options.schema}` : ''}`.toLowerCase();
  const serverId = randomBytes(8).toString('hex');
  const listeners = new Set<ChangeListener>();
  // One connection, so notifications leave (and arrive) in the order the changes were published.
  const notifier = new pg.Pool({ connectionString: options.url, max: 1 });
  notifier.on('error', () => {});
  let client: pg.Client | undefined;
  let closed = false;
  let everConnected = false;

  function dispatch(change: Change): void {
    for (const listener of listeners) listener(change);
  }

  async function connect(): Promise<void> {
    const next = new pg.Client({ connectionString: options.url });
    next.on('notification', (message) => {
      if (message.channel !== channel || !message.payload) return;
      try {
        const envelope = JSON.parse(message.payload) as Envelope;
        if (envelope.from !== serverId) dispatch(envelope.change);
      } catch {
        // A payload this version cannot read: drop every cache rather than keep a stale entry.
        dispatch({ type: 'resync' });
      }
    });
    next.on('error', (error) => {
      options.onError?.(error);
      void reconnect(next);
    });
    next.on('end', () => void reconnect(next));
    await next.connect();
    await next.query(`LISTEN "${channel}"`);
    client = next;
    // Changes made while this server was not listening were missed: forget what is cached.
    if (everConnected) dispatch({ type: 'resync' });
    everConnected = true;
  }

  let reconnecting = false;
  async function reconnect(lost: pg.Client): Promise<void> {
    if (closed || reconnecting || client !== lost) return;
    reconnecting = true;
    client = undefined;
    lost.removeAllListeners('end');
    lost.end().catch(() => {});
    // While not listening, no cache can be trusted to hear a deletion: forget everything now.
    dispatch({ type: 'resync' });
    while (!closed) {
      try {
        await connect();
        break;
      } catch (error) {
        options.onError?.(error as Error);
        await new Promise((resolve) => setTimeout(resolve, options.reconnectDelayMs ?? 500));
      }
    }
    reconnecting = false;
  }

  const ready = connect();

  return {
    ready,
    publish(change) {
      dispatch(change);
      const payload: Envelope = { from: serverId, change };
      notifier.query('select pg_notify($1, $2)', [channel, JSON.stringify(payload)]).catch((error: Error) => {
        options.onError?.(error);
      });
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    async close() {
      closed = true;
      await client?.end().catch(() => {});
      await notifier.end().catch(() => {});
    },
  };
}
