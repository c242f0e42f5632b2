/** Schemas and shapes shared by several routes. */
import { z } from 'zod';
import { InvalidInputError } from '../kernel/errors.js';

export const AccountParams = z.object({ acc: z.string().min(1).max(64) });

export const Name = z.string().trim().min(1, 'must not be empty').max(100, 'must be at most 100 characters');

/** Accepts an ISO-8601 date-time or null; answers epoch milliseconds. */
export const Timestamp = z.iso.datetime({ offset: true }).transform((s) => Date.parse(s));

export function iso(ms: number): string;
export function iso(ms: number | null): string | null;
export function iso(ms: number | null): string | null {
  return ms === null ? null : new Date(ms).toISOString();
}

export function ok<T>(data: T) {
  return { status: 200 as const, data };
}

/**
 * A success answer's schema, `{"status": 200, "data": ...}` (or 201), for a route's `response`.
 * It is what serializes the answer, and a plain object schema drops keys it does not name: `data`
 * must name every field the route sends, in the order it sends them.
 */
export const Answer = <Data extends z.ZodType, Status extends 200 | 201 = 200>(
  data: Data,
  status: Status = 200 as Status,
) => z.object({ status: z.literal(status), data });

/**
 * \`true\` when what a schema accepts and a domain type have the same fields, each assignable to the
 * other: a required field the domain adds and an answer's schema does not name fails to compile,
 * instead of being dropped from answers by the serializer.
 */
export type SameFields<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;

/** Times in answers (what `iso` makes): checked as strings, so no time can fail an answer. */
export const IsoTime = z.string().describe('ISO-8601 date-time, UTC');
export const NullableIsoTime = IsoTime.nullable();

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
