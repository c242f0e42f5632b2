import type { FastifyInstance, FastifyRequest } from 'fastify';

type Done = (error: Error | null, body?: unknown) => void;
/** Fastify's default JSON parser, which is the callback form of its declared union type. */
type JsonParser = (request: FastifyRequest, body: string, done: Done) => void;

/**
 * Fastify's JSON parsing (prototype-poisoning checks and all) with two changes: an empty body is
 * no body (clients that always send `Content-Type: application/json`, even on a DELETE or a
 * deploy, are not refused for it), and a body that is not JSON says just that, whatever content
 * type carried it.
 */
function jsonBody(parse: JsonParser) {
  return (request: FastifyRequest, body: string, done: Done) => {
    if (body.length === 0) {
      done(null, undefined);
      return;
    }
    parse(request, body, (error, value) => {
      if (error && (error as { code?: string }).code === 'FST_ERR_CTP_INVALID_JSON_BODY') {
        done(Object.assign(new Error('not valid JSON'), { statusCode: 400 }), undefined);
        return;
      }
      done(error, value);
    });
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
  app.addContentTypeParser(
    'application/json',
    { parseAs: 'string' },
    jsonBody(app.getDefaultJsonParser('error', 'error') as JsonParser),
  );
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
  scope.addContentTypeParser(
    'text/plain',
    { parseAs: 'string' },
    jsonBody(scope.getDefaultJsonParser('error', 'ignore') as JsonParser),
  );
}
