/**
 * Finds Tessera tokens in files: by pattern, then by checksum, so look-alikes (a changed or
 * truncated character) are not reported. Used by `tessera scan` to guard repositories and CI.
 */
import { createReadStream } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type KeyKind, maskToken, parseToken, TOKEN_PATTERN } from './token.js';

export interface FoundToken {
  file: string;
  line: number;
  kind: KeyKind;
  token: string;
  masked: string;
}

export interface ScanOptions {
  /** Told about what is not scanned (a symlink to a directory); stderr by default. */
  warn?: (message: string) => void;
}

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);

async function* filesUnder(path: string, warn: (message: string) => void): AsyncGenerator<string> {
  const info = await stat(path);
  if (info.isFile()) {
    yield path;
    return;
  }
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    const child = join(path, entry.name);
    if (entry.isDirectory() && SKIPPED_DIRECTORIES.has(entry.name)) continue;
    if (entry.isDirectory() || entry.isFile()) yield* filesUnder(child, warn);
    else if (entry.isSymbolicLink()) {
      // A symlinked `.env` is as leaky as a real one, so links to files are read. Links to
      // directories are not followed (they can loop), but said, since what they hold goes unscanned.
      const target = await stat(child).catch((error: NodeJS.ErrnoException) => {
        if (error.code === 'ENOENT') return null; // dangling: nothing to read
        throw error;
      });
      if (target?.isFile()) yield child;
      else if (target?.isDirectory()) warn(`${child}: symlink to a directory, not followed`);
    }
  }
}

/** The tokens on one line. A logged URL may carry `_` percent-encoded, so that is decoded first. */
function tokensInLine(content: string, file: string, line: number): FoundToken[] {
  const found: FoundToken[] = [];
  for (const match of content.replace(/%5f/gi, '_').matchAll(TOKEN_PATTERN)) {
    const kind = parseToken(match[0]);
    if (kind) found.push({ file, line, kind, token: match[0], masked: maskToken(match[0]) });
  }
  return found;
}

export function findTokens(text: string, file: string): FoundToken[] {
  return text.split('\n').flatMap((content, index) => tokensInLine(content, file, index + 1));
}

/**
 * How a file's bytes become text, from its first chunk: UTF-16 by its BOM, anything else as
 * latin1, which never fails on binary and keeps ASCII (all a token is) as it is in UTF-8.
 */
function decoderFor(first: Buffer): (chunk: Buffer) => string {
  const bom = (first[0] << 8) | first[1];
  const utf16 = bom === 0xfffe ? 'utf-16le' : bom === 0xfeff ? 'utf-16be' : null;
  if (utf16 === null) return (chunk) => chunk.toString('latin1');
  // Streaming, so a character split between chunks is decoded whole; the BOM is dropped.
  const decoder = new TextDecoder(utf16);
  return (chunk) => decoder.decode(chunk, { stream: true });
}

/** A line is held whole up to this many characters; past it, it is scanned in parts. */
const LONG_LINE = 1 << 20;
/** Kept from one part of a long line to the next, so a token across the cut is still whole. */
const OVERLAP = 64;

/**
 * A file's text in parts, read in chunks so a file of any size is scanned in little memory: each
 * part is a whole line (`ends`), or a piece of a line too long to hold (a minified bundle, a
 * disk image), which repeats the last characters of the piece before it. Given a chunk's worth
 * at a time, as one await per line would cost more than the matching.
 */
async function* partsOf(file: string): AsyncGenerator<{ text: string; ends: boolean }[]> {
  let decode: ((chunk: Buffer) => string) | undefined;
  let pending: string[] = []; // the line so far, in pieces: a long line is joined once
  let pendingLength = 0;
  for await (const chunk of createReadStream(file) as AsyncIterable<Buffer>) {
    decode ??= decoderFor(chunk);
    const lines = decode(chunk).split('\n');
    pending.push(lines[0]);
    pendingLength += lines[0].length;
    if (lines.length === 1) {
      if (pendingLength > LONG_LINE) {
        const text = pending.join('');
        pending = [text.slice(-OVERLAP)];
        pendingLength = pending[0].length;
        yield [{ text, ends: false }];
      }
      continue;
    }
    const parts = lines.map((text) => ({ text, ends: true }));
    parts[0].text = pending.join('');
    const last = parts.pop()?.text ?? '';
    pending = [last];
    pendingLength = last.length;
    yield parts;
  }
  yield [{ text: pending.join(''), ends: true }];
}

export async function scanPaths(paths: string[], options: ScanOptions = {}): Promise<FoundToken[]> {
  const warn = options.warn ?? ((message: string) => console.error(message));
  const found: FoundToken[] = [];
  for (const root of paths) {
    for await (const file of filesUnder(root, warn)) {
      let line = 1;
      // A token in the overlap of two parts of a long line is seen twice: reported once per line.
      let seenOnLine = new Set<string>();
      for await (const parts of partsOf(file)) {
        for (const part of parts) {
          for (const token of tokensInLine(part.text, file, line)) {
            if (seenOnLine.has(token.token)) continue;
            seenOnLine.add(token.token);
            found.push(token);
          }
          if (part.ends) {
            line++;
            seenOnLine = new Set();
          }
        }
      }
    }
  }
  return found;
}

/**
 * What a server said about a token. Only `deleted`, `expired` and `unknown` clear a secret key:
 * `unreachable` and `unchecked (…)` (any other answer: a server still starting, something that
 * is not Tessera) say nothing about it, so a CI guard counts them as it counts `live`.
 */
export type TokenState = 'live' | 'deleted' | 'expired' | 'unknown' | 'unreachable' | `unchecked (${string})`;

/** The refusals that are a verdict on the key itself, as `/v3/keys/self` answers them (403). */
const VERDICTS = new Map<unknown, TokenState>([
  ['key_deleted', 'deleted'],
  ['key_expired', 'expired'],
  ['key_unknown', 'unknown'],
]);

/**
 * Asks a Tessera server what a token is: the token introspects itself (`GET /v3/keys/self`), so
 * it is sent only to the server that issued it and no other credential is needed.
 */
export async function tokenState(server: string, token: string): Promise<TokenState> {
  let res: Response;
  let body: { status?: unknown; code?: unknown; data?: { id?: unknown } } | null;
  try {
    res = await fetch(new URL('/v3/keys/self', server), {
      headers: { authorization: `Bearer ${token}` },
    });
    body = await res.json().catch(() => null);
  } catch {
    return 'unreachable';
  }
  // Only Tessera's own answer shapes are verdicts; a proxy's 200 page or a 404 is not one.
  if (res.status === 200 && body?.status === 200 && typeof body.data?.id === 'string') return 'live';
  const verdict = res.status === 403 ? VERDICTS.get(body?.code) : undefined;
  return verdict ?? `unchecked (server answered ${res.status})`;
}
