/**
 * The one error table (`describeFailure`): domain errors map to 400/404/409, schema failures to
 * 400 naming the field, an unreachable store to 503 with Retry-After, a collision with a
 * concurrent change to 409, and anything unexpected to a logged 500 that reveals nothing. The API
 * renders a failure as `{status, err, code}` (spec section 3); the console renders the same
 * failure, with the same status, as a page (console/errors.tsx).
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ConflictError, InvalidInputError, NotFoundError } from '../kernel/errors.js';
import { isConcurrentConflict, isStoreUnavailable } from '../store/connect.js';

export interface ErrorBody {
  status: number;
  err: string;
  code: string;
  field?: string;
}

/** The API's error answer: `{status, err, code, field?}` (spec section 3). */
export function errorBody(status: number, code: string, err: string, field?: string): ErrorBody {
  return field === undefined ? { status, err, code } : { status, err, code, field };
}

export function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  err: string,
  field?: string,
): FastifyReply {
  return reply
    .code(status)
    .type('application/json; charset=utf-8')
    .send(errorBody(status, code, err, field));
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
 * One failure as every face answers it: the status and the machine code are decided here, once;
 * a face only renders it (the API as JSON, the console as a page or an htmx fragment).
 */
export interface Failure {
  /**
   * `input`: a value the domain refused (its field named), apart from a request whose shape the
   * schema refused (`validation`); the console answers the former 422, the one status a face
   * chooses itself (a form kept on screen with its message), documented in docs/architecture.md.
   */
  kind: 'validation' | 'input' | 'not_found' | 'conflict' | 'request' | 'unavailable' | 'internal';
  status: number;
  code: string;
  /** the API's `err`: names the field where there is one */
  err: string;
  field?: string;
  /** the same, as a sentence for a person reading a page */
  message: string;
  /** seconds, for a failure that may pass (the store restarting) */
  retryAfter?: number;
  /** how the failure is logged (refusals of bad input are not) */
  log?: { level: 'warn' | 'error'; line: string };
}

export type FailureRenderer = (
  request: FastifyRequest,
  reply: FastifyReply,
  failure: Failure,
) => FastifyReply;

const INTERNAL = 'Something went wrong on our side; it has been logged';

/** The one error table: what status, code and words each kind of failure gets, on every face. */
export function describeFailure(error: FastifyError): Failure {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const part = error.validationContext ?? 'body';
    const issues = error.validation.map((v) => ({
      path: (v.params?.issue as Issue | undefined)?.path,
      message: v.message,
      instancePath: v.instancePath,
    }));
    const { field, message } = describeValidation(part, issues);
    return { kind: 'validation', status: 400, code: 'invalid_input', err: message, field, message };
  }
  if (error instanceof InvalidInputError) {
    const err = `${error.field}: ${error.message}`;
    return {
      kind: 'input',
      status: 400,
      code: 'invalid_input',
      err,
      field: error.field,
      message: error.message,
    };
  }
  if (error instanceof NotFoundError)
    return { kind: 'not_found', status: 404, code: error.code, err: error.message, message: error.message };
  if (error instanceof ConflictError)
    return { kind: 'conflict', status: 409, code: error.code, err: error.message, message: error.message };
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
    if (status === 400)
      return {
        kind: 'request',
        status,
        code,
        err: `body: ${error.message}`,
        field: 'body',
        message: error.message,
      };
    return { kind: 'request', status, code, err: error.message, message: error.message };
  }
  // The database is down or restarting: the request may succeed when retried shortly.
  if (isStoreUnavailable(error)) {
    const err = 'The store is not available; retry shortly';
    return {
      kind: 'unavailable',
      status: 503,
      code: 'store_unavailable',
      err,
      message: `${err}.`,
      retryAfter: 1,
      // One line, no stack: during an outage every request says the same.
      log: { level: 'warn', line: `request not served: store unavailable (${error.message})` },
    };
  }
  if (isConcurrentConflict(error)) {
    const err = 'This change collided with another made at the same moment; reload and try again';
    return {
      kind: 'conflict',
      status: 409,
      code: 'concurrent_change',
      err,
      message: `${err}.`,
      log: {
        level: 'warn',
        line: `request not served: it collided with a concurrent change (${error.message})`,
      },
    };
  }
  return {
    kind: 'internal',
    status: 500,
    code: 'internal_error',
    err: INTERNAL,
    message: `${INTERNAL}.`,
    log: { level: 'error', line: 'request failed' },
  };
}

/**
 * Errors Fastify raises before routing (a URL that cannot be decoded, a too-long parameter).
 * The answer does not repeat the URL: its query may carry the caller's key.
 */
export function describeFrameworkError(error: FastifyError): Failure {
  const status = error.statusCode ?? 400;
  if (status >= 500)
    return { kind: 'internal', status: 500, code: 'internal_error', err: INTERNAL, message: `${INTERNAL}.` };
  const err = URL_REFUSALS[error.code] ?? 'url: the URL cannot be routed';
  return {
    kind: 'request',
    status,
    code: 'invalid_url',
    err,
    field: 'url',
    message: `This address cannot be read: ${err.replace(/^url: /, '')}`,
  };
}

/** The API's rendering of a failure: `{status, err, code, field?}`. */
export const sendJsonFailure: FailureRenderer = (_request, reply, failure) => {
  if (failure.retryAfter !== undefined) reply.header('retry-after', String(failure.retryAfter));
  return sendError(reply, failure.status, failure.code, failure.err, failure.field);
};

/** An error handler that decides with the one table and renders with the face's renderer. */
export function failureHandler(render: FailureRenderer) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): FastifyReply => {
    const failure = describeFailure(error);
    if (failure.log?.level === 'error') request.log.error({ err: error }, failure.log.line);
    else if (failure.log) request.log.warn(failure.log.line);
    return render(request, reply, failure);
  };
}

/** A face other than the JSON API: the paths it answers, and how it renders a failure there. */
export interface FailureFace {
  prefix: string;
  render: FailureRenderer;
}

/** Fastify's `frameworkErrors`: answered in the shape of the face the address belongs to. */
export function frameworkErrorHandler(faces: readonly FailureFace[]) {
  return (error: FastifyError, request: FastifyRequest, reply: FastifyReply): void => {
    const failure = describeFrameworkError(error);
    const face = faces.find((f) => request.url === f.prefix || request.url.startsWith(`${f.prefix}/`));
    (face?.render ?? sendJsonFailure)(request, reply, failure);
  };
}

export function registerErrorHandling(app: FastifyInstance): void {
  app.setErrorHandler(failureHandler(sendJsonFailure));
  app.setNotFoundHandler((request, reply) =>
    sendError(reply, 404, 'route_not_found', `No route ${request.method} ${request.url.split('?')[0]}`),
  );
}
