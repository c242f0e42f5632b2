/**
 * No text the server takes may hold the NUL character (U+0000) or a lone UTF-16 surrogate (JSON
 * can spell one, `"\ud800"`, though it is no character). PostgreSQL cannot store NUL in text
 * ("invalid byte sequence"), so it would fail the statement, and a runtime write shares its
 * transaction with every other request of the same moment (group commit). A lone surrogate is
 * stored changed (U+FFFD, or raw bytes on SQLite), so a session named with one is no longer found
 * by its own next event. Refused on both stores, before anything reads the store: the path
 * parameters and the query as the request arrives (authentication looks up the account and deploy
 * target in the path), the body once it is validated. The answer is a 400 naming the field, in
 * whatever form the route answers its errors.
 */
import type { FastifyInstance } from 'fastify';
import { InvalidInputError } from '../kernel/errors.js';

const MESSAGE = 'must be text without the NUL character (U+0000) or a lone surrogate';

function badText(text: string): boolean {
  return text.includes('\u0000') || !text.isWellFormed();
}

/**
 * The path of the first string (value or name) that is not acceptable text, or null; `where`
 * names the root. Walked with a stack of its own, not by recursion: a body nested a hundred
 * thousand deep must not overflow the call stack.
 */
export function findBadText(value: unknown, where: string): string | null {
  // Nearly every request holds only good text: checked first without naming paths, which costs
  // a string per value; the path is built only for a request about to be refused.
  return hasBadText(value) ? locateBadText(value, where) : null;
}

/** Whether any string (value or name) in `value` is not acceptable text; iterative, as below. */
function hasBadText(value: unknown): boolean {
  if (typeof value === 'string') return badText(value);
  if (typeof value !== 'object' || value === null) return false;
  const pending: object[] = [value];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (Array.isArray(item)) {
      for (const element of item) {
        if (typeof element === 'string') {
          if (badText(element)) return true;
        } else if (typeof element === 'object' && element !== null) pending.push(element);
      }
    } else {
      for (const name in item) {
        if (!Object.hasOwn(item, name)) continue;
        if (badText(name)) return true;
        const element = (item as Record<string, unknown>)[name];
        if (typeof element === 'string') {
          if (badText(element)) return true;
        } else if (typeof element === 'object' && element !== null) pending.push(element);
      }
    }
  }
  return false;
}

function locateBadText(value: unknown, where: string): string | null {
  const pending: [unknown, string][] = [[value, where]];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const [item, path] = next;
    if (typeof item === 'string') {
      if (badText(item)) return path;
    } else if (Array.isArray(item)) {
      // Pushed last to first, so the first bad one in reading order is the one named.
      for (let i = item.length - 1; i >= 0; i--) pending.push([item[i], `${path}.${i}`]);
    } else if (typeof item === 'object' && item !== null) {
      const entries = Object.entries(item);
      for (const [name] of entries) if (badText(name)) return path;
      for (let i = entries.length - 1; i >= 0; i--) pending.push([entries[i][1], `${path}.${entries[i][0]}`]);
    }
  }
  return null;
}

export function textRefusal(field: string): InvalidInputError {
  // statusCode: for routes whose error handler answers by status (the script tag's plain text).
  return Object.assign(new InvalidInputError(field, MESSAGE), { statusCode: 400 });
}

export function refuseMalformedText(app: FastifyInstance): void {
  // Callback hooks: on every request, a promise each would cost more than the check.
  app.addHook('onRequest', (request, _reply, done) => {
    const field = findBadText(request.params, 'params') ?? findBadText(request.query, 'querystring');
    done(field ? textRefusal(field) : undefined);
  });
  // After validation, so the field is named in the shape the route's schema gives the body.
  app.addHook('preHandler', (request, _reply, done) => {
    const field = findBadText(request.body, 'body');
    done(field ? textRefusal(field) : undefined);
  });
}
