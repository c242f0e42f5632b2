/**
 * No text the server takes may hold the NUL character (U+0000). PostgreSQL cannot store it in
 * text ("invalid byte sequence"), so it would fail the statement, and a runtime write shares its
 * transaction with every other request of the same moment (group commit). SQLite would store it,
 * and show it back in the console. Refused on both, before anything reads the store: the path
 * parameters and the query as the request arrives (authentication looks up the account and deploy
 * target in the path), the body once it is validated. The answer is a 400 naming the field, in
 * whatever form the route answers its errors.
 */
import type { FastifyInstance } from 'fastify';
import { InvalidInputError } from '../errors.js';

const NUL = '\u0000';
const MESSAGE = 'must not contain the NUL character (U+0000)';

/** The path of the first string (value or name) holding a NUL, or null; `where` names the root. */
export function findNul(value: unknown, where: string): string | null {
  if (typeof value === 'string') return value.includes(NUL) ? where : null;
  if (typeof value !== 'object' || value === null) return null;
  if (Array.isArray(value)) {
    for (let i = 0; i < value.length; i++) {
      const found = findNul(value[i], `${where}.${i}`);
      if (found) return found;
    }
    return null;
  }
  for (const [name, inner] of Object.entries(value)) {
    if (name.includes(NUL)) return where;
    const found = findNul(inner, `${where}.${name}`);
    if (found) return found;
  }
  return null;
}

function refusal(field: string): InvalidInputError {
  // statusCode: for routes whose error handler answers by status (the script tag's plain text).
  return Object.assign(new InvalidInputError(field, MESSAGE), { statusCode: 400 });
}

export function refuseNulCharacters(app: FastifyInstance): void {
  // Callback hooks: on every request, a promise each would cost more than the check.
  app.addHook('onRequest', (request, _reply, done) => {
    const field = findNul(request.params, 'params') ?? findNul(request.query, 'querystring');
    done(field ? refusal(field) : undefined);
  });
  // After validation, so the field is named in the shape the route's schema gives the body.
  app.addHook('preHandler', (request, _reply, done) => {
    const field = findNul(request.body, 'body');
    done(field ? refusal(field) : undefined);
  });
}
