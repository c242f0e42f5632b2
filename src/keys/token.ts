/**
 * The API key token format: `tess_<kind>_` + 30 random base62 characters (about 178 bits) + a
 * 6-character base62 CRC32 of everything before it. The prefix names the kind, so a secret
 * scanner can find tokens by pattern; the checksum lets the server (and `tessera scan`) refuse a
 * mistyped, truncated or look-alike token without touching the store.
 */

import { hash } from 'node:crypto';
import { crc32 } from 'node:zlib';
import { BASE62, randomBase62 } from '../kernel/ids.js';

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
// Bounded by anything but a letter or digit, so `_` before it counts as a boundary too
// (`MY_KEY_tess_rest_…` is found; `\b` would not see one there).
export const TOKEN_PATTERN = /(?<![0-9A-Za-z])tess_(?:rest|js|ro|rw)_[0-9A-Za-z]{36}(?![0-9A-Za-z])/g;

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

// Every request with a key is parsed, so the check is one pass over character codes: the table
// CRC-32 below gives zlib's crc32 for ASCII, and every character checked is ASCII.
const BASE62_VALUE = new Int8Array(128).fill(-1);
for (let i = 0; i < BASE62.length; i++) BASE62_VALUE[BASE62.charCodeAt(i)] = i;

const CRC_TABLE = new Int32Array(256);
for (let n = 0; n < 256; n++) {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  CRC_TABLE[n] = c;
}

/** CRC-32 of the first `end` characters of an ASCII string (equals zlib's crc32 of them). */
export function crc32Ascii(s: string, end: number = s.length): number {
  let c = -1;
  for (let i = 0; i < end; i++) c = CRC_TABLE[(c ^ s.charCodeAt(i)) & 0xff] ^ (c >>> 8);
  return (c ^ -1) >>> 0;
}

/** The kind a well-formed token names, or null when the shape or the checksum is wrong. */
export function parseToken(token: string): KeyKind | null {
  for (const kind of KEY_KINDS) {
    const prefix = PREFIXES[kind];
    if (!token.startsWith(prefix)) continue;
    const length = prefix.length + RANDOM_LENGTH + CHECKSUM_LENGTH;
    if (token.length !== length) return null;
    let check = 0;
    for (let i = prefix.length; i < length; i++) {
      const code = token.charCodeAt(i);
      const value = code < 128 ? BASE62_VALUE[code] : -1;
      if (value < 0) return null;
      if (i >= length - CHECKSUM_LENGTH) check = check * 62 + value;
    }
    return check === crc32Ascii(token, length - CHECKSUM_LENGTH) ? kind : null;
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

/** Masks every token in a text (the audit log's last guard, handed to it by the composition). */
export function redactTokens(text: string): string {
  return text.replace(TOKEN_PATTERN, (token) => maskToken(token));
}
