/**
 * Logger settings: no key, password, cookie or `apikey` query parameter ever reaches the logs.
 */
import type { FastifyServerOptions } from 'fastify';

/** Replaces the value of every `apikey` query parameter (and any Tessera token) in a URL. */
export function redactUrl(url: string): string {
  return url
    .replace(/([?&]apikey=)[^&#]*/gi, '$1[redacted]')
    .replace(/tess_(rest|js|ro|rw)_[0-9A-Za-z]+/g, 'tess_$1_[redacted]');
}

export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
        '*.password',
        '*.secret',
        '*.token',
        '*.apikey',
      ],
      censor: '[redacted]',
    },
    serializers: {
      req(request) {
        return { method: request.method, url: redactUrl(request.url), remoteAddress: request.ip };
      },
    },
  };
}
