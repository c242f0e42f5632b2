/** Assertions on answers: the error shape of spec section 3, and success envelopes. */
import assert from 'node:assert/strict';
import type { LightMyRequestResponse } from 'fastify';

export interface ErrorAnswer {
  status: number;
  err: string;
  code: string;
  field?: string;
}

/** Asserts an error answer `{status, err, code}` (and, for bad input, the field it names). */
export function expectError(
  res: LightMyRequestResponse,
  status: number,
  code: string,
  field?: string,
): ErrorAnswer {
  assert.equal(res.statusCode, status, res.body);
  assert.match(String(res.headers['content-type']), /^application\/json/);
  const body = res.json() as ErrorAnswer;
  assert.equal(body.status, status);
  assert.equal(body.code, code, res.body);
  assert.equal(typeof body.err, 'string');
  assert.ok(body.err.length > 0);
  if (field !== undefined) {
    assert.equal(body.field, field, res.body);
    assert.ok(body.err.includes(field), `the message names the field: ${body.err}`);
  }
  return body;
}

/** Asserts `{status, data}` with the given status and returns data. */
export function expectData<T = Record<string, unknown>>(res: LightMyRequestResponse, status = 200): T {
  assert.equal(res.statusCode, status, res.body);
  const body = res.json() as { status: number; data: T };
  assert.equal(body.status, status);
  return body.data;
}
