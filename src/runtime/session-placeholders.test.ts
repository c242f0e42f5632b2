import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { computeSession } from './session-placeholders.js';

const HOUR = 3_600_000;
const at = (now: number, ip = '203.0.113.7', ua = 'Mozilla/5.0') => ({ ip, ua, now });
const session = (template: string, context = at(10 * HOUR)) => {
  const result = computeSession(template, context);
  if (!result.ok) throw new Error(`refused: ${result.unknown}`);
  return result.session;
};

describe('session placeholders', () => {
  test('a session without placeholders is used as given', () => {
    assert.equal(session('visitor-42'), 'visitor-42');
    assert.equal(session('braces { alone'), 'braces { alone');
  });

  test('{ip}_{1h}: one address within one hour is one session; another address or hour is another', () => {
    const first = session('{ip}_{1h}', at(10 * HOUR + 5));
    assert.match(first, /^[0-9a-f]{32}$/);
    assert.equal(session('{ip}_{1h}', at(11 * HOUR - 1)), first);
    assert.notEqual(session('{ip}_{1h}', at(11 * HOUR)), first, 'the next hour');
    assert.notEqual(session('{ip}_{1h}', at(10 * HOUR + 5, '203.0.113.8')), first, 'another address');
    assert.ok(!first.includes('203.0.113.7'), 'the address is not in the id');
  });

  test('{ua}, and periods of N minutes, hours and days', () => {
    assert.notEqual(session('{ua}', at(0, 'x', 'A')), session('{ua}', at(0, 'x', 'B')));
    assert.equal(session('{30m}', at(0)), session('{30m}', at(30 * 60_000 - 1)));
    assert.notEqual(session('{30m}', at(0)), session('{30m}', at(30 * 60_000)));
    assert.equal(session('{2d}', at(0)), session('{2d}', at(2 * 24 * HOUR - 1)));
    assert.notEqual(session('{1d}', at(0)), session('{1d}', at(24 * HOUR)));
    assert.equal(session('{6h}', at(0)), session('{6h}', at(6 * HOUR - 1)));
  });

  test('values are framed: ("1.2","3") and ("1.","23") are different visitors', () => {
    assert.notEqual(session('{ip}{ua}', at(0, '1.2', '3')), session('{ip}{ua}', at(0, '1.', '23')));
  });

  test('an unknown placeholder is refused, never taken literally', () => {
    for (const [template, unknown] of [
      ['{foo}', '{foo}'],
      ['{ip}_{IP}', '{IP}'],
      ['{0h}', '{0h}'],
      ['{1w}', '{1w}'],
      ['{}', '{}'],
      ['{1000000d}', '{1000000d}'],
    ]) {
      assert.deepEqual(computeSession(template, at(0)), { ok: false, unknown }, template);
    }
  });
});
