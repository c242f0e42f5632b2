/**
 * Refusals and errors on console routes answer in HTML: a person who is not signed in is sent to
 * the sign-in page, anything else gets a page (navigation) or a short message (htmx, which
 * console.js shows in the form or the page's flash region). The JSON API keeps its JSON.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Refusal } from '../web/authenticate.js';
import { type FailureRenderer, failureHandler } from '../web/errors.js';
import { CONSOLE, isHtmx, SECURITY_HEADERS, sendHtml } from './kit/html.js';
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
  503: 'Try again shortly',
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

/**
 * How the console renders a failure of the one error table (web/errors.ts): the same status as
 * the API, except a value the domain refused, which is 422 so the form stays with its message.
 */
export const renderConsoleFailure: FailureRenderer = (request, reply, failure) => {
  if (failure.retryAfter !== undefined) reply.header('retry-after', String(failure.retryAfter));
  const status = failure.kind === 'input' ? 422 : failure.status;
  return sendConsoleError(request, reply, status, failure.message);
};

/** Before routing (an address that cannot be decoded), the console scope's headers are not set yet. */
export const renderConsoleFrameworkFailure: FailureRenderer = (request, reply, failure) => {
  reply.headers(SECURITY_HEADERS);
  return renderConsoleFailure(request, reply, failure);
};

/** The console scope's error handler: the one table, rendered as pages. */
export const consoleErrorHandler = failureHandler(renderConsoleFailure);
