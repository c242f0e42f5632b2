/**
 * Refusals and errors on console routes answer in HTML: a person who is not signed in is sent to
 * the sign-in page, anything else gets a page (navigation) or a short message (htmx, which
 * console.js shows in the form or the page's flash region). The JSON API keeps its JSON.
 */
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { hasZodFastifySchemaValidationErrors } from 'fastify-type-provider-zod';
import { ConflictError, InvalidInputError, NotFoundError } from '../kernel/errors.js';
import type { Refusal } from '../web/authenticate.js';
import { CONSOLE, isHtmx, sendHtml } from './kit/html.js';
import { PlainPage } from './kit/layout.js';

const TITLES: Record<number, string> = {
  400: 'That did not work',
  401: 'Please sign in',
  403: 'Not authorized',
  404: 'Not found',
  409: 'That did not work',
  422: 'That did not work',
  429: 'Too many attempts',
  500: 'Something went wrong',
};

export function ErrorPage(props: { status: number; message: string }): JSX.Element {
  const title = TITLES[props.status] ?? 'That did not work';
  return (
    <PlainPage title={title}>
      <h1 safe>{title}</h1>
      <p safe>{props.message}</p>
      <p>
        <a href={CONSOLE}>Back to the console</a>
      </p>
    </PlainPage>
  );
}

/** Sends an error in the shape the request wants: a page, or a fragment for htmx. */
export function sendConsoleError(
  request: FastifyRequest,
  reply: FastifyReply,
  status: number,
  message: string,
): FastifyReply {
  reply.header('cache-control', 'no-store');
  if (isHtmx(request)) {
    return sendHtml(
      reply,
      <p class="flash error" safe>
        {message}
      </p>,
      status,
    );
  }
  return sendHtml(reply, <ErrorPage status={status} message={message} />, status);
}

export function loginPath(next?: string): string {
  return next ? `${CONSOLE}/login?next=${encodeURIComponent(next)}` : `${CONSOLE}/login`;
}

/** The page an htmx request was made from, to return to after signing in again. */
function htmxPage(request: FastifyRequest): string | undefined {
  const current = request.headers['hx-current-url'];
  if (typeof current !== 'string') return undefined;
  try {
    const url = new URL(current);
    return url.pathname + url.search;
  } catch {
    return undefined;
  }
}

/** The console's `onRefusal`: how the authenticate hook refuses a console request. */
export function consoleRefusal(request: FastifyRequest, reply: FastifyReply, refusal: Refusal): FastifyReply {
  if (refusal.status === 401) {
    if (isHtmx(request)) {
      // htmx follows this header with a full navigation, even on an error status.
      reply.header('hx-redirect', loginPath(htmxPage(request)));
      return sendHtml(reply, <p safe>{refusal.message}</p>, 401);
    }
    if (request.method === 'GET') return reply.redirect(loginPath(request.url), 303);
  }
  return sendConsoleError(request, reply, refusal.status, refusal.message);
}

/** The console scope's error handler: domain errors and bad input as messages, the rest logged. */
export function consoleErrorHandler(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): FastifyReply {
  if (hasZodFastifySchemaValidationErrors(error)) {
    const issue = error.validation[0];
    const path = (issue?.params?.issue as { path?: PropertyKey[] } | undefined)?.path?.map(String) ?? [];
    const fromPointer = (issue?.instancePath ?? '').split('/').filter(Boolean);
    const field = [error.validationContext, ...(path.length > 0 ? path : fromPointer)]
      .filter(Boolean)
      .join('.');
    return sendConsoleError(request, reply, 400, `${field}: ${issue?.message ?? 'invalid'}`);
  }
  if (error instanceof InvalidInputError) return sendConsoleError(request, reply, 422, error.message);
  if (error instanceof ConflictError) return sendConsoleError(request, reply, 409, error.message);
  if (error instanceof NotFoundError) return sendConsoleError(request, reply, 404, error.message);
  const status = error.statusCode ?? 500;
  if (status >= 400 && status < 500) return sendConsoleError(request, reply, status, error.message);
  request.log.error({ err: error }, 'console request failed');
  return sendConsoleError(request, reply, 500, 'Something went wrong on our side; it has been logged.');
}
