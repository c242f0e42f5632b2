/**
 * How console answers leave: full pages for navigation, fragments for htmx requests, and the
 * headers every console answer carries (no caching: pages may hold a secret shown once).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';

export const CONSOLE = '/console';

/** An htmx request (it swaps a fragment); anything else is a navigation that wants a whole page. */
export function isHtmx(request: FastifyRequest): boolean {
  return request.headers['hx-request'] === 'true';
}

/**
 * Sends a rendered page or fragment. Console components are synchronous, so JSX gives a string and
 * the answer is sent before the caller returns (refusals are sent from a hook, which must not
 * resolve before the reply is sent).
 */
export function sendHtml(reply: FastifyReply, html: JSX.Element, status = 200): FastifyReply {
  if (typeof html !== 'string') throw new Error('console components must be synchronous');
  const doctype = html.startsWith('<html') ? '<!doctype html>' : '';
  return reply
    .code(status)
    .type('text/html; charset=utf-8')
    .send(doctype + html);
}

/** A same-site path to return to after signing in; anything else falls back to the console. */
export function safeNext(next: unknown): string {
  if (typeof next !== 'string') return CONSOLE;
  if (next.startsWith('//') || next.includes('\\')) return CONSOLE;
  // Dot segments (`/console/../x`, also spelled %2e%2e) are resolved first, as the browser will.
  let resolved: URL;
  try {
    resolved = new URL(next, 'http://console.invalid');
  } catch {
    return CONSOLE;
  }
  if (resolved.origin !== 'http://console.invalid') return CONSOLE;
  const path = resolved.pathname + resolved.search + resolved.hash;
  return path.startsWith(`${CONSOLE}/`) || path === CONSOLE ? path : CONSOLE;
}

/**
 * The content security policy of console pages: scripts and styles from the server only, so an
 * injected tag or attribute cannot run; no framing (clickjacking) and no referrer (the setup link
 * carries a one-time token).
 */
export const SECURITY_HEADERS: Record<string, string> = {
  'content-security-policy':
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'",
  'x-frame-options': 'DENY',
  'referrer-policy': 'no-referrer',
  'x-content-type-options': 'nosniff',
};

/** A form field that may arrive once (a string) or repeated (an array), as a list. */
export function asList(value: unknown): string[] {
  if (value === undefined || value === null || value === '') return [];
  const list = Array.isArray(value) ? value : [value];
  return list.filter((v): v is string => typeof v === 'string' && v !== '');
}

const dateFormat = new Intl.DateTimeFormat('en-GB', {
  year: 'numeric',
  month: 'short',
  day: 'numeric',
  hour: '2-digit',
  minute: '2-digit',
  timeZone: 'UTC',
});

/** `1 request`, `2 requests`. */
export function plural(count: number, noun: string): string {
  return `${count.toLocaleString('en-US')} ${noun}${count === 1 ? '' : 's'}`;
}

/** Times are shown in UTC, named as such, so every reader sees the same moment. */
export function formatTime(ms: number | null): string {
  if (ms === null) return 'never';
  return `${dateFormat.format(new Date(ms))} UTC`;
}
