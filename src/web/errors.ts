/**
 * Every error leaves as `{status, err, code}` (spec section 3). Domain errors map to 400/404/409,
 * schema failures to 400 naming the field, an unreachable store to 503 with Retry-After, and
 * anything unexpected to a logged 500 that reveals nothing.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { sendConsoleError } from '../console/errors.js';
import { CONSOLE, SECURITY_HEADERS } from '../console/kit/html.js';
import { ConflictError, InvalidInputError, NotFoundError } from '../kernel/errors.js';
import { isConcurrentConflict, isStoreUnavailable } from '../store/connect.js';

export interface ErrorBody {
  status: number;
  err: string;
  code: string;
  field?: string;
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  err: string,
  field?: string,
): FastifyReply {
  const body: ErrorBody = field === undefined ? { status, err, code } : { status, err, code, field };
  return reply.code(status).type('application/json; charset=utf-8').send(body);
}

interface Issue {
  path?: PropertyKey[];
  message?: string;
  instancePath?: string;
}

function describeValidation(part: string, issues: Issue[]): { field: string; message: string } {
  const issue = issues[0] ?? {};
  const path =
    issue.path && issue.path.length > 0
      ? issue.path.map(String).join('.')
      : (issue.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
  const field = path ? `${part}.${path}` : part;
  return { field, message: `${field}: ${issue.message ?? 'invalid'}` };
}

const CLIENT_ERRORS: Record<string, { status: number; code: string; err: string }> = {
  ERR_HTTP_REQUEST_TIMEOUT: {
    status: 408,
    code: 'request_timeout',
    err: 'The request did not arrive in time',
  },
  HPE_HEADER_OVERFLOW: {
    status: 431,
    code: 'headers_too_large',
    err: 'headers: the request headers are larger than the server accepts',
  },
};
const MALFORMED = { status: 400, code: 'malformed_request', err: 'The request is not well-formed HTTP' };

/**
 * Requests Node's HTTP parser refuses (malformed, headers too large, too slow) never reach
 * Fastify's routing: answered here in the API's error shape. Logged (at debug) by code only:
 * the error's raw packet holds the request's headers, keys among them.
 */
export function handleClientError(
  this: FastifyInstance,
  error: Error & { code?: string },
  socket: Socket,
): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  const answer = CLIENT_ERRORS[error.code ?? ''] ?? MALFORMED;
  this.log.debug({ code: error.code, status: answer.status }, 'request refused by the HTTP parser');
  if (socket.writable) {
    const body = JSON.stringify({ status: answer.status, err: answer.err, code: answer.code });
    socket.write(
      `HTTP/1.1 ${answer.status} ${STATUS_CODES[answer.status]}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nContent-Type: application/json\r\nConnection: close\r\n\r\n${body}`,
    );
  }
  socket.destroy();
}

const URL_REFUSALS: Record<string, string> = {
  FST_ERR_BAD_URL: 'url: the path cannot be decoded (a % must start an escape such as %20)',
  FST_ERR_MAX_PARAM_LENGTH: 'url: a part of the path is longer than the server accepts',
};

/**
 * Errors Fastify raises before routing (a URL that cannot be decoded, a too-long parameter).
 * The answer does not repeat the URL: its query may carry the caller's key.
 */
export function handleFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const status = error.statusCode ?? 400;
  if (status >= 500) {
    sendError(reply, 500, 'internal_error', 'Something went wrong on our side; it has been logged');
    return;
  }
  const message = URL_REFUSALS[error.code] ?? 'url: the URL cannot be routed';
  // Console addresses answer as console pages do (HTML, with the pages' security headers).
  if (request.url === CONSOLE || request.url.startsWith(`${CONSOLE}/`)) {
    reply.headers(SECURITY_HEADERS);
    sendConsoleError(request, reply, status, `This address cannot be read: ${message.replace(/^url: /, '')}`);
    return;
  }
  sendError(reply, status, 'invalid_url', message, 'url');
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler((error: FastifyError, request, reply) => {
    if (hasZodFastifySchemaValidationErrors(error)) {
      const part = error.validationContext ?? 'body';
      const issues = error.validation.map((v) => ({
        path: (v.params?.issue as Issue | undefined)?.path,
        message: v.message,
        instancePath: v.instancePath,
      }));
      const { field, message } = describeValidation(part, issues);
      return sendError(reply, 400, 'invalid_input', message, field);
    }
    if (error instanceof InvalidInputError)
      return sendError(reply, 400, 'invalid_input', `${error.field}: ${error.message}`, error.field);
    if (error instanceof NotFoundError) return sendError(reply, 404, error.code, error.message);
    if (error instanceof ConflictError) return sendError(reply, 409, error.code, error.message);
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Fastify's own refusals: unparsable JSON, unsupported media type, body too large, ...
      const code =
        error.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
          ? 'body_too_large'
          : error.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
            ? 'unsupported_media_type'
            : 'invalid_request';
      // Every 400 names its field: what the parser refused is the body itself.
      if (status === 400) return sendError(reply, 400, code, `body: ${error.message}`, 'body');
      return sendError(reply, status, code, error.message);
    }
    // The database is down or restarting: the request may succeed when retried shortly.
    if (isStoreUnavailable(error)) {
      // One line, no stack: during an outage every request says the same.
      request.log.warn(`request not served: store unavailable (${error.message})`);
      reply.header('retry-after', '1');
      return sendError(reply, 503, 'store_unavailable', 'The store is not available; retry shortly');
    }
    if (isConcurrentConflict(error)) {
      request.log.warn(`request not served: it collided with a concurrent change (${error.message})`);
      return sendError(
        reply,
        409,
        'concurrent_change',
        'This change collided with another made at the same moment; reload and try again',
      );
    }
    request.log.error({ err: error }, 'request failed');
    return sendError(reply, 500, 'internal_error', 'Something went wrong on our side; it has been logged');
  });

  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`),
  );
}
