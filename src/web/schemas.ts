/** Schemas and shapes shared by several routes. */
import { z } from 'zod';
import { InvalidInputError } from '../kernel/errors.js';

export const AccountParams = z.object({ acc: z.string().min(1).max(64) });

export const Name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

/** Accepts an ISO-8601 date-time or null; answers epoch milliseconds. */
export const Timestamp = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

export const iso = (ms: number | null): string | null => (ms === null ? null : new Date(ms).toISOString());

export function ok<T>(data: T) {
  return { status: 200, data };
}

/**
 * The domain names fields of what it was given; for a route, that is a part of the request
 * (`body`, `querystring`), named as schema errors name it.
 */
export async function fieldsIn<T>(part: 'body' | 'querystring', work: Promise<T>): Promise<T> {
  try {
    return await work;
  } catch (error) {
    if (error instanceof InvalidInputError)
      throw new InvalidInputError(`${part}.${error.field}`, error.message);
    throw error;
  }
}

/** `fieldsIn('body', work)`: the common case. */
export const bodyFields = <T>(work: Promise<T>): Promise<T> => fieldsIn('body', work);
