/**
 * The runtime floors' request work (bench/runtime-floor.ts, the least new-session floor in
 * bench/durable-floor.ts), written once: the least a runtime request must do to be read and
 * answered, with nothing of Tessera.
 */
import type { ServerResponse } from 'node:http';
import { parse as parseQuery } from 'fast-querystring';

const PATH = /^\/([A-Za-z0-9_-]{1,64})\/v3\/agent-api$/;

export interface RuntimeRequest<Key> {
  account: string;
  /** what `keys` holds for the key presented */
  key: Key;
  query: Record<string, string>;
  commands: { a?: string; g?: string }[];
}

/**
 * Path, query and JSON body read; the key presented found in `keys` (a map lookup) for the
 * path's account. Answers 400 (a body that is not JSON) or 401 itself and returns null then.
 */
export function readRuntimeRequest<Key extends { accountId: string }>(
  url: string,
  raw: Buffer,
  keys: ReadonlyMap<string, Key>,
  response: ServerResponse,
): RuntimeRequest<Key> | null {
  const queryAt = url.indexOf('?');
  const path = PATH.exec(queryAt === -1 ? url : url.slice(0, queryAt));
  const query = parseQuery(queryAt === -1 ? '' : url.slice(queryAt + 1)) as Record<string, string>;
  const found = keys.get(query.apikey);
  let body: { commands?: { a?: string; g?: string }[] };
  try {
    body = JSON.parse(raw.toString('utf8'));
  } catch {
    response.writeHead(400).end();
    return null;
  }
  if (!path || !found || found.accountId !== path[1] || !Array.isArray(body.commands)) {
    response.writeHead(401).end();
    return null;
  }
  return { account: path[1], key: found, query, commands: body.commands };
}

/** A JSON answer with the runtime's headers, a refusal's as a selection's. */
export function answerJson(response: ServerResponse, status: number, body: object): void {
  const answer = JSON.stringify(body);
  response.writeHead(status, {
    'cache-control': 'no-store',
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(answer),
    'access-control-allow-origin': '*',
  });
  response.end(answer);
}

/** The runtime's answer with its headers. */
export function answerRuntime(response: ServerResponse, data: object): void {
  answerJson(response, 200, { status: 200, data });
}
