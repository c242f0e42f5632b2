import type { FastifyInstance } from 'fastify';

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
    scope.getDefaultJsonParser('error', 'ignore'),
  );
}
