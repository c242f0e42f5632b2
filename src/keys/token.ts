/**
 * The API key token format: `tess_<kind>_` + 30 random base62 characters (about 178 bits) + a
 * 6-character base62 CRC32 of everything before it. The prefix names the kind, so a secret
 * scanner can find tokens by pattern; the checksum lets the server (and `tessera scan`) refuse a
 * mistyped, truncated or look-alike token without touching the store.
 */

import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { BASE62, randomBase62 } from '../ids.js';

export const KEY_KINDS = ['rest', 'js', 'admin-read', 'admin-author'] as const;
export type KeyKind = (typeof KEY_KINDS)[number];

const PREFIXES: Record<KeyKind, string> = {
  rest: 'tess_rest_',
  js: 'tess_js_',
  'admin-read': 'tess_ro_',
  'admin-author': 'tess_rw_',
};
const RANDOM_LENGTH = 30;
const CHECKSUM_LENGTH = 6;

/** Finds tokens in text: used by `tessera scan`; candidates still need `parseToken`. */
export const TOKEN_PATTERN = /\btess_(?:rest|js|ro|rw)_[0-9A-Za-z]{36}\b/g;

function checksum(body: string): string {
  let n = crc32(body);
  let out = '';
  for (let i = 0; i < CHECKSUM_LENGTH; i++) {
    out = BASE62[n % 62] + out;
    n = Math.floor(n / 62);
  }
  return out;
}

export function generateToken(kind: KeyKind): string {
  const body = PREFIXES[kind] + randomBase62(RANDOM_LENGTH);
  return body + checksum(body);
}

const IS_BASE62 = /^[0-9A-Za-z]+$/;

/** The kind a well-formed token names, or null when the shape or the checksum is wrong. */
export function parseToken(token: string): KeyKind | null {
  for (const kind of KEY_KINDS) {
    const prefix = PREFIXES[kind];
    if (!token.startsWith(prefix)) continue;
    const rest = token.slice(prefix.length);
    if (rest.length !== RANDOM_LENGTH + CHECKSUM_LENGTH || !IS_BASE62.test(rest)) return null;
    const body = token.slice(0, token.length - CHECKSUM_LENGTH);
    return checksum(body) === token.slice(-CHECKSUM_LENGTH) ? kind : null;
  }
  return null;
}

/** SHA-256: what is stored and what the cache is keyed by. A copy of the database uses no key. */
export function hashToken(token: string): string {
  return hash('sha256', token, 'base64url');
}

/** What lists and logs show: the kind prefix, the first and last four characters. */
export function maskToken(token: string): string {
  const kind = parseToken(token);
  const prefix = kind ? PREFIXES[kind] : '';
  return `${prefix}${token.slice(prefix.length, prefix.length + 4)}…${token.slice(-4)}`;
}
