import type { FastifyInstance, FastifyRequest } from 'fastify';
import { InvalidInputError } from '../kernel/errors.js';

type Done = (error: Error | null, body?: unknown) => void;
/** Fastify's default JSON parser, which is the callback form of its declared union type. */
export type JsonParser = (request: FastifyRequest, body: string, done: Done) => void;

// Bytes that are not UTF-8 are refused, not silently replaced by U+FFFD (a name or a session
// stored changed would no longer match what the client sent).
const utf8 = new TextDecoder('utf-8', { fatal: true });

// statusCode: for routes whose error handler answers by status (the script tag's plain text).
const refuse = (field: string, message: string) =>
  Object.assign(new InvalidInputError(field, message), { statusCode: 400 });

/**
 * Where a JSON text that parses has a key the parser refuses (`__proto__`, or `constructor`
 * holding `prototype`): JSON.parse keeps such keys as plain own properties, so they can be found.
 * Walked with a stack of its own: a body nested a hundred thousand deep must not overflow.
 */
function forbiddenKey(text: string): { path: string; key: string } | null {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return null;
  }
  const pending: [unknown, string][] = [[value, 'body']];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item !== 'object' || item === null) continue;
    if (!Array.isArray(item)) {
      if (Object.hasOwn(item, '__proto__')) return { path, key: '__proto__' };
      const ctor = Object.hasOwn(item, 'constructor') ? (item as { constructor: unknown }).constructor : null;
      if (typeof ctor === 'object' && ctor !== null && Object.hasOwn(ctor, 'prototype')) {
        return { path, key: 'constructor' };
      }
    }
    for (const [name, child] of Object.entries(item)) pending.push([child, `${path}.${name}`]);
  }
  return null;
}

/** A body read: its value (undefined for an empty body), or the error the route answers with. */
export type BodyRead = { ok: true; value: unknown } | { ok: false; error: Error };

/**
 * Fastify's JSON parsing (prototype-poisoning checks and all) with these changes: an empty body
 * is no body (clients that always send `Content-Type: application/json`, even on a DELETE or a
 * deploy, are not refused for it); a body that is not UTF-8 or not JSON says just that, whatever
 * content type carried it; and one refused for a `__proto__` or `constructor.prototype` key names
 * the key, since it is JSON and the client would not otherwise know what was wrong.
 */
export function readJsonBody(parse: JsonParser, body: Buffer): BodyRead {
  if (body.length === 0) return { ok: true, value: undefined };
  let text: string;
  try {
    text = utf8.decode(body);
  } catch {
    return {
      ok: false,
      error: refuse('body', 'must be UTF-8 text: it holds bytes that are not valid UTF-8'),
    };
  }
  let read: BodyRead | undefined;
  // Fastify's parser answers through its callback, synchronously; it never reads the request.
  parse(null as unknown as FastifyRequest, text, (error, value) => {
    read = error ? { ok: false, error: parseRefusal(error, text) } : { ok: true, value };
  });
  return read ?? { ok: false, error: new Error('the JSON parser did not answer') };
}

/** What a body the JSON parser refused is answered with: what is wrong with it, named. */
function parseRefusal(error: Error, text: string): Error {
  if ((error as { code?: string }).code !== 'FST_ERR_CTP_INVALID_JSON_BODY') return error;
  const forbidden = forbiddenKey(text);
  if (forbidden) {
    const what =
      forbidden.key === '__proto__' ? 'a key named __proto__' : 'a constructor key holding prototype';
    return refuse(forbidden.path, `${what} is not accepted`);
  }
  return Object.assign(new Error('not valid JSON'), { statusCode: 400 });
}

function jsonBody(parse: JsonParser) {
  return (_request: FastifyRequest, body: Buffer, done: Done) => {
    const read = readJsonBody(parse, body);
    if (read.ok) done(null, read.value);
    else done(read.error, undefined);
  };
}

/** The parsers of JSON sent as `application/json` and as `text/plain` (see below), for a reader of its own. */
export interface JsonParsers {
  json: JsonParser;
  text: JsonParser;
}
export function jsonParsers(app: FastifyInstance): JsonParsers {
  return {
    json: app.getDefaultJsonParser('error', 'error') as JsonParser,
    text: app.getDefaultJsonParser('error', 'ignore') as JsonParser,
  };
}

/**
 * For the whole server: `application/json` bodies as `jsonBody` says. Any other content type
 * (that no scope parses, such as the console's forms) is refused with 415, unless the body is
 * empty: `curl -d ''` and form-posting HTTP libraries label an empty body too, and an empty body
 * is no body whatever its label.
 */
export function parseJsonBodies(app: FastifyInstance): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'buffer' }, jsonBody(jsonParsers(app).json));
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (request, body: Buffer, done: Done) => {
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    const type = String(request.headers['content-type'] ?? 'none')
      .split(';')[0]
      .trim();
    const refusal = new Error(`Unsupported Media Type: a body of type ${type}; send application/json`);
    done(Object.assign(refusal, { statusCode: 415, code: 'FST_ERR_CTP_INVALID_MEDIA_TYPE' }), undefined);
  });
}

/**
 * Within `scope` only: a `text/plain` body is parsed as JSON, with the same limits and errors as
 * `application/json`. Browsers send JSON as text/plain (fetch without a preflight, sendBeacon)
 * so that a cross-origin request needs no CORS preflight.
 */
export function parseTextPlainAsJson(scope: FastifyInstance): void {
  scope.removeContentTypeParser('text/plain');
  scope.addContentTypeParser('text/plain', { parseAs: 'buffer' }, jsonBody(jsonParsers(scope).text));
}
