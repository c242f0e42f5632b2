import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { originAllowed, parseOrigin } from './origins.js';

describe('allowed origins', () => {
  test('an origin is stored in the form browsers send', () => {
    assert.deepEqual(parseOrigin('https://WWW.Example.com'), { origin: 'https://www.example.com' });
    assert.deepEqual(parseOrigin('https://www.example.com:443/'), { origin: 'https://www.example.com' });
    assert.deepEqual(parseOrigin(' http://localhost:3000 '), { origin: 'http://localhost:3000' });
  });

  test('anything that is not scheme://host[:port] is refused with a reason', () => {
    for (const input of [
      'www.example.com',
      'ftp://example.com',
      'https://example.com/shop',
      'https://example.com/?a=1',
      'https://example.com#top',
      'https://user@example.com',
      'javascript:alert(1)',
      '*',
      'https://*.example.com',
      'https://shop.*',
      'null',
    ]) {
      const parsed = parseOrigin(input);
      assert.ok('problem' in parsed, `${input} was accepted`);
    }
  });

  test('no list allows every origin; a list allows only its own', () => {
    assert.equal(originAllowed([], 'https://evil.example'), true);
    const list = ['https://shop.example.com'];
    assert.equal(originAllowed(list, 'https://shop.example.com'), true);
    assert.equal(originAllowed(list, 'https://evil.example.com'), false);
    assert.equal(originAllowed(list, 'http://shop.example.com'), false);
    assert.equal(originAllowed(list, 'https://shop.example.com:8443'), false);
    assert.equal(
      originAllowed(list, 'null'),
      false,
      'an opaque origin (sandboxed frame, file:) is no listed page',
    );
  });

  test('a request without an Origin header is not a cross-origin browser request', () => {
    assert.equal(originAllowed(['https://shop.example.com'], undefined), true);
  });
});
