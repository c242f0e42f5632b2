/**
 * Finds Tessera tokens in files: by pattern, then by checksum, so look-alikes (a changed or
 * truncated character) are not reported. Used by `tessera scan` to guard repositories and CI.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { type KeyKind, maskToken, parseToken, TOKEN_PATTERN } from './token.js';

export interface FoundToken {
  file: string;
  line: number;
  kind: KeyKind;
  token: string;
  masked: string;
}

const SKIPPED_DIRECTORIES = new Set(['.git', 'node_modules']);
const MAX_FILE_BYTES = 10 * 1024 * 1024;

async function* filesUnder(path: string): AsyncGenerator<string> {
  const info = await stat(path);
  if (info.isFile()) {
    yield path;
    return;
  }
  if (!info.isDirectory()) return;
  for (const entry of await readdir(path, { withFileTypes: true })) {
    if (entry.isDirectory() && SKIPPED_DIRECTORIES.has(entry.name)) continue;
    if (entry.isDirectory() || entry.isFile()) yield* filesUnder(join(path, entry.name));
  }
}

export function findTokens(text: string, file: string): FoundToken[] {
  const found: FoundToken[] = [];
  const lines = text.split('\n');
  lines.forEach((content, index) => {
    for (const match of content.matchAll(TOKEN_PATTERN)) {
      const kind = parseToken(match[0]);
      if (kind) found.push({ file, line: index + 1, kind, token: match[0], masked: maskToken(match[0]) });
    }
  });
  return found;
}

export async function scanPaths(paths: string[]): Promise<FoundToken[]> {
  const found: FoundToken[] = [];
  for (const root of paths) {
    for await (const file of filesUnder(root)) {
      const info = await stat(file);
      if (info.size > MAX_FILE_BYTES) continue;
      found.push(...findTokens((await readFile(file)).toString('latin1'), file));
    }
  }
  return found;
}

export type TokenState = 'live' | 'deleted' | 'expired' | 'unknown' | 'unreachable';

/**
 * Asks a Tessera server what a token is: the token introspects itself (`GET /v3/keys/self`), so
 * it is sent only to the server that issued it and no other credential is needed.
 */
export async function tokenState(server: string, token: string): Promise<TokenState> {
  try {
    const res = await fetch(new URL('/v3/keys/self', server), {
      headers: { authorization: `Bearer ${token}` },
    });
    if (res.ok) return 'live';
    const body = (await res.json().catch(() => ({}))) as { code?: string };
    if (body.code === 'key_deleted') return 'deleted';
    if (body.code === 'key_expired') return 'expired';
    return 'unknown';
  } catch {
    return 'unreachable';
  }
}
