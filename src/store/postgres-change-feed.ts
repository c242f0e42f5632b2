/**
 * The change feed across servers sharing one PostgreSQL database: each server LISTENs on a
 * dedicated connection (not a pooled one), and every change is sent with pg_notify, from inside
 * the transaction that makes it (`transaction`), so PostgreSQL delivers it to every listener at
 * commit and only if it commits, in commit order. Local listeners hear a change right after the
 * commit, as with the local feed; other servers within milliseconds.
 *
 * Notifications are not replayed, so while the listening connection is lost the feed is not live
 * (caches neither answer from nor keep what they hold), every cache is told to `resync` (forget
 * everything) when it is lost and again once LISTEN is back.
 *
 * A connection can also go silent without closing (a frozen backend, a partition). So the feed
 * proves itself: every `beatMs` it NOTIFYs a channel of its own, heard on the listening
 * connection. PostgreSQL delivers notifications in commit order, so hearing a beat sent at time t
 * means every change committed before t was heard. The feed is live only while the latest beat
 * heard was sent less than `liveWindowMs` ago, judged when asked (at request time, not by a timer
 * that could itself lag): a change is acted on within that window on every server, or the server
 * stops answering from its caches. When beats come back after being overdue, caches resync.
 */
import { randomBytes } from 'node:crypto';
import { sql } from 'kysely';
import pg from 'pg';
import { announcedTransaction, type Change, type ChangeFeed, type ChangeListener } from './changes.js';

export interface PostgresChangeFeed extends ChangeFeed {
  /** resolves once the first LISTEN is in place */
  ready: Promise<void>;
  close(): Promise<void>;
}

export interface PostgresChangeFeedOptions {
  url: string;
  /** servers on different schemas of one database must not hear each other */
  schema?: string;
  /** where a lost connection is reported; the feed itself keeps reconnecting */
  onError?: (error: Error) => void;
  reconnectDelayMs?: number;
  /** how long a query on the listening connection may take before it is replaced (default 5 s) */
  heartbeatMs?: number;
  /** how often the feed NOTIFYs itself to prove it is live (default 200 ms) */
  beatMs?: number;
  /** the feed is live while its latest beat heard was sent less than this ago (default 600 ms) */
  liveWindowMs?: number;
  /** the listening connection's application_name (default `tessera listen <process id>`) */
  applicationName?: string;
}

interface Envelope {
  from: string;
  changes: Change[];
}

// NOTIFY payloads must stay under 8,000 bytes; many changes of one transaction (a deployment to
// many targets) travel in several envelopes.
const MAX_PAYLOAD = 7_000;

/** Splits changes into JSON envelopes that each fit one notification. */
export function envelopes(from: string, changes: Change[]): string[] {
  const out: string[] = [];
  let batch: Change[] = [];
  for (const change of changes) {
    const next = JSON.stringify({ from, changes: [...batch, change] } satisfies Envelope);
    if (next.length > MAX_PAYLOAD && batch.length > 0) {
      out.push(JSON.stringify({ from, changes: batch } satisfies Envelope));
      batch = [change];
    } else {
      batch.push(change);
    }
  }
  if (batch.length > 0) out.push(JSON.stringify({ from, changes: batch } satisfies Envelope));
  return out;
}

export function createPostgresChangeFeed(options: PostgresChangeFeedOptions): PostgresChangeFeed {
  const channel = `tessera_changes${options.schema ? `_${options.schema}` : ''}`.toLowerCase();
  const serverId = randomBytes(8).toString('hex');
  // Only this feed sends and hears its beats: other servers are not woken by them.
  const beatChannel = `tessera_beat_${serverId}`;
  const beatMs = options.beatMs ?? 200;
  const liveWindowMs = options.liveWindowMs ?? 600;
  // When the latest beat heard was sent (performance.now() of this process); none yet.
  let beatHeard = Number.NEGATIVE_INFINITY;
  let beatPending = false;
  let everLive = false;
  const listeners = new Set<ChangeListener>();
  // Changes published outside a transaction go over one connection, so they leave in order.
  const notifier = new pg.Pool({ connectionString: options.url, max: 1 });
  notifier.on('error', () => {});
  notifier.on('connect', (c) => {
    c.on('error', () => {});
  });
  let client: pg.Client | undefined;
  let closed = false;
  let everConnected = false;
  let heartbeat: NodeJS.Timeout | undefined;

  function dispatch(change: Change): void {
    for (const listener of listeners) listener(change);
  }

  function receive(payload: string): void {
    try {
      const envelope = JSON.parse(payload) as Partial<Envelope> & { change?: Change };
      if (envelope.from === serverId) return;
      const changes = envelope.changes ?? (envelope.change ? [envelope.change] : undefined);
      if (!Array.isArray(changes)) throw new Error('no changes');
      for (const change of changes) dispatch(change);
    } catch {
      // A payload this version cannot read: drop every cache rather than keep a stale entry.
      dispatch({ type: 'resync' });
    }
  }

  const beatsFresh = () => performance.now() - beatHeard < liveWindowMs;

  function heardBeat(sentAt: number): void {
    if (!(sentAt > beatHeard)) return;
    // Back after being overdue: what was cached meanwhile was not trusted; start afresh.
    const wasOverdue = !beatsFresh();
    beatHeard = sentAt;
    if (wasOverdue && everLive) dispatch({ type: 'resync' });
    everLive = true;
  }

  function sendBeat(): void {
    if (closed || beatPending || !client) return;
    beatPending = true;
    notifier
      .query('select pg_notify($1, $2)', [beatChannel, String(performance.now())])
      .catch((error: Error) => options.onError?.(error))
      .finally(() => {
        beatPending = false;
      });
  }

  async function connect(): Promise<void> {
    // Named with the process id, so an operator (or a test) can find this server's listener.
    const next = new pg.Client({
      connectionString: options.url,
      keepAlive: true,
      application_name: options.applicationName ?? `tessera listen ${process.pid}`,
    });
    next.on('notification', (message) => {
      if (message.channel === channel && message.payload) receive(message.payload);
      // Beats count only from the connection in use: an old one's could prove nothing about it.
      else if (message.channel === beatChannel && client === next) heardBeat(Number(message.payload));
    });
    next.on('error', (error) => {
      options.onError?.(error);
      void reconnect(next);
    });
    next.on('end', () => void reconnect(next));
    try {
      await next.connect();
      await next.query(`LISTEN "${beatChannel}"`);
      await next.query(`LISTEN "${channel}"`);
    } catch (error) {
      next.removeAllListeners('end');
      next.removeAllListeners('error');
      next.on('error', () => {});
      next.end().catch(() => {});
      throw error;
    }
    if (closed) {
      await next.end().catch(() => {});
      return;
    }
    client = next;
    // Changes made while this server was not listening were missed: forget what is cached.
    if (everConnected) dispatch({ type: 'resync' });
    everConnected = true;
    sendBeat();
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

  // A connection can die silently (a network partition, a frozen database host): ask it.
  const heartbeatMs = options.heartbeatMs ?? 5_000;
  function beat(): void {
    const current = client;
    if (!current || closed) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('change feed heartbeat timed out')), heartbeatMs);
    });
    Promise.race([current.query('select 1'), timeout])
      .catch((error: Error) => {
        options.onError?.(error);
        void reconnect(current);
      })
      .finally(() => clearTimeout(timer));
  }

  const beats = setInterval(sendBeat, beatMs);
  beats.unref();
  const ready = connect()
    .then(() => {
      heartbeat = setInterval(beat, heartbeatMs);
      heartbeat.unref();
    })
    // Ready once live: the first beat has come back.
    .then(async () => {
      while (!closed && !beatsFresh()) await new Promise((resolve) => setTimeout(resolve, 5));
    });

  return {
    ready,
    publish(change) {
      dispatch(change);
      for (const payload of envelopes(serverId, [change])) {
        notifier.query('select pg_notify($1, $2)', [channel, payload]).catch((error: Error) => {
          options.onError?.(error);
        });
      }
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    transaction(db, work) {
      return announcedTransaction(
        db,
        work,
        async (trx, changes) => {
          for (const payload of envelopes(serverId, changes)) {
            await sql`select pg_notify(${channel}, ${payload})`.execute(trx);
          }
        },
        (changes) => {
          for (const change of changes) dispatch(change);
        },
      );
    },
    isLive: () => client !== undefined && !closed && beatsFresh(),
    async close() {
      closed = true;
      clearInterval(heartbeat);
      clearInterval(beats);
      await client?.end().catch(() => {});
      await notifier.end().catch(() => {});
    },
  };
}
