/**
 * Session identifiers computed from placeholders, as Conductrics documents them for the runtime
 * API's `session` parameter: `{ip}_{1h}` is "this address, this hour". Placeholders are replaced,
 * then the result is hashed, so a visitor's address or user agent is never stored or answered as
 * their session id; the same inputs always give the same id.
 *
 *   {ip}            the client's address (behind a proxy: only when the proxy is trusted)
 *   {ua}            the visitor's User-Agent (the `ua` parameter, else the request's header)
 *   {Nm} {Nh} {Nd}  the index of the N-minute / N-hour / N-day period now falls in (UTC, since
 *                   the epoch), N from 1 to 100000: `{1h}` changes every hour on the hour
 *
 * Any other `{…}` is refused (never taken literally: a misspelt placeholder would otherwise make
 * one session of every visitor). A session without `{` … `}` is used as given.
 */
import { createHash } from 'node:crypto';

export interface SessionContext {
  ip: string;
  ua: string;
  /** epoch ms */
  now: number;
}

export type ComputedSession =
  | { ok: true; session: string; computed: boolean }
  | { ok: false; unknown: string };

const PLACEHOLDER = /\{([^{}]*)\}/g;
const PERIOD = /^([1-9][0-9]{0,5})([mhd])$/;
const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
const MAX_PERIODS = 100_000;

function value(name: string, context: SessionContext): string | undefined {
  if (name === 'ip') return context.ip;
  if (name === 'ua') return context.ua;
  const period = PERIOD.exec(name);
  if (!period) return undefined;
  const count = Number(period[1]);
  if (count > MAX_PERIODS) return undefined;
  const unit = UNIT_MS[period[2] as keyof typeof UNIT_MS];
  return String(Math.floor(context.now / (count * unit)));
}

export function computeSession(template: string, context: SessionContext): ComputedSession {
  if (!template.includes('{')) return { ok: true, session: template, computed: false };
  let unknown: string | undefined;
  const filled = template.replace(PLACEHOLDER, (whole, name: string) => {
    const found = value(name, context);
    if (found === undefined) {
      unknown ??= whole;
      return whole;
    }
    // Each value is framed by its length, so `{ip}{ua}` of ("1.2", "3") and ("1.", "23") differ.
    return `${found.length}:${found}`;
  });
  if (unknown !== undefined) return { ok: false, unknown };
  if (filled === template) return { ok: true, session: template, computed: false };
  // 128 bits of SHA-256, hex: as unguessable as a made session, and a fixed length.
  const session = createHash('sha256').update(filled).digest('hex').slice(0, 32);
  return { ok: true, session, computed: true };
}
