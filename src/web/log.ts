/**
 * Logger settings: no key (Authorization, x-conductrics-apikey or `apikey` query parameter),
 * password or cookie ever reaches the logs.
 */
import type { FastifyBaseLogger, FastifyServerOptions } from 'fastify';

const TOKEN = /tess_(rest|js|ro|rw)_[0-9A-Za-z]+/g;

function decoded(text: string): string {
  try {
    return decodeURIComponent(text.replaceAll('+', ' '));
  } catch {
    return text;
  }
}

/**
 * Replaces the value of every `apikey` query parameter and every part holding a Tessera token in
 * a URL, spelled plainly or percent-encoded (`api%6Bey=tess%5Frest%5F…` is the same key to the
 * server, so it is the same secret to the log).
 */
export function redactUrl(url: string): string {
  const hashAt = url.indexOf('#');
  const withoutFragment = hashAt === -1 ? url : url.slice(0, hashAt);
  const queryAt = withoutFragment.indexOf('?');
  const path = queryAt === -1 ? withoutFragment : withoutFragment.slice(0, queryAt);
  const redactedPath = path
    .split('/')
    .map((segment) => (decoded(segment).search(TOKEN) === -1 ? segment : '[redacted]'))
    .join('/');
  if (queryAt === -1) return redactedPath.replace(TOKEN, 'tess_$1_[redacted]');
  const query = withoutFragment
    .slice(queryAt + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq === -1 ? pair : pair.slice(0, eq);
      const value = eq === -1 ? '' : pair.slice(eq + 1);
      const secret = decoded(name).toLowerCase() === 'apikey' || decoded(value).search(TOKEN) !== -1;
      return secret ? `${name}=[redacted]` : pair;
    })
    .join('&');
  return `${redactedPath}?${query}`.replace(TOKEN, 'tess_$1_[redacted]');
}

export function loggerOptions(level: string, stream?: NodeJS.WritableStream): FastifyServerOptions['logger'] {
  return {
    level,
    ...(stream ? { stream } : {}),
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers["x-conductrics-apikey"]',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'res.headers["set-cookie"]',
        'password',
        'secret',
        'token',
        'apikey',
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

type LogMethod = (...args: unknown[]) => void;
type Bindings = Record<string, unknown>;
type ChildLoggerOptions = Parameters<FastifyBaseLogger['child']>[1] & object;
/** pino's, which Fastify's logger type leaves out */
export type LevelAware = FastifyBaseLogger & { isLevelEnabled(level: string): boolean };
type Level = 'fatal' | 'error' | 'warn' | 'info' | 'debug' | 'trace';

/**
 * The per-request logger, made only when a line is actually logged. Fastify makes a pino child
 * (bindings serialised, redaction set up) for every request: at `warn`, for lines never written,
 * that cost a one-route Fastify server a fifth of its throughput and the runtime route about a
 * tenth of its CPU. This stands in for it and makes the child on the first enabled call.
 */
class LazyRequestLogger {
  #child: FastifyBaseLogger | undefined;
  constructor(
    private readonly parent: LevelAware,
    private readonly bindings: Bindings,
    private readonly options: ChildLoggerOptions,
  ) {}
  #real(): FastifyBaseLogger {
    this.#child ??= this.parent.child(this.bindings, this.options);
    return this.#child;
  }
  #at(level: Level, args: unknown[]): void {
    if (this.#child) (this.#child[level] as LogMethod)(...args);
    else if (this.parent.isLevelEnabled(level)) (this.#real()[level] as LogMethod)(...args);
  }
  get level(): string {
    return this.#child?.level ?? this.parent.level;
  }
  set level(level: string) {
    this.#real().level = level;
  }
  fatal(...args: unknown[]): void {
    this.#at('fatal', args);
  }
  error(...args: unknown[]): void {
    this.#at('error', args);
  }
  warn(...args: unknown[]): void {
    this.#at('warn', args);
  }
  info(...args: unknown[]): void {
    this.#at('info', args);
  }
  debug(...args: unknown[]): void {
    this.#at('debug', args);
  }
  trace(...args: unknown[]): void {
    this.#at('trace', args);
  }
  silent(): void {}
  isLevelEnabled(level: string): boolean {
    return this.#child
      ? (this.#child as LevelAware).isLevelEnabled(level)
      : this.parent.isLevelEnabled(level);
  }
  child(bindings: Bindings, options?: ChildLoggerOptions): FastifyBaseLogger {
    return this.#real().child(bindings, options);
  }
}

/** Fastify's `childLoggerFactory`: a route with its own log level gets a real child at once. */
export function lazyRequestLogger(
  this: unknown,
  parent: FastifyBaseLogger,
  bindings: Bindings,
  options: ChildLoggerOptions,
): FastifyBaseLogger {
  const levelAware = typeof (parent as Partial<LevelAware>).isLevelEnabled === 'function';
  if (!levelAware || options.level !== undefined || options.serializers !== undefined) {
    return parent.child(bindings, options);
  }
  return new LazyRequestLogger(parent as LevelAware, bindings, options) as unknown as FastifyBaseLogger;
}

/**
 * Request ids (`req-1`, `req-2`, …, as Fastify numbers them), one sequence for every way into the
 * server: the runtime's fast path and Fastify's routes draw from the same counter.
 */
export function createRequestIds(): () => string {
  let next = 0;
  return () => {
    // Wraps at 2^31 - 1, so the counter stays a small integer.
    next = (next + 1) & 0x7fffffff;
    return `req-${next.toString(36)}`;
  };
}
