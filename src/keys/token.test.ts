import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { BASE62 } from '../kernel/ids.js';
import { generateToken, hashToken, KEY_KINDS, maskToken, parseToken, TOKEN_PATTERN } from './token.js';

const SHAPES = {
  rest: /^tess_rest_[0-9A-Za-z]{36}$/,
  js: /^tess_js_[0-9A-Za-z]{36}$/,
  'admin-read': /^tess_ro_[0-9A-Za-z]{36}$/,
  'admin-author': /^tess_rw_[0-9A-Za-z]{36}$/,
} as const;

const OTHER_CHARACTERS = [...BASE62, '_', '-', ' ', '=', 'é', '\0'];

describe('generateToken', () => {
  test('names its kind in the prefix and carries 36 base62 characters', () => {
    for (const kind of KEY_KINDS) {
      for (let i = 0; i < 20; i++) assert.match(generateToken(kind), SHAPES[kind]);
    }
  });

  test('is random: no two tokens alike, and every base62 character is used', () => {
    const tokens = new Set(Array.from({ length: 2000 }, () => generateToken('rest')));
    assert.equal(tokens.size, 2000);
    const seen = new Set([...tokens].flatMap((t) => [...t.slice('tess_rest_'.length, -6)]));
    assert.equal(seen.size, 62);
  });
});

describe('parseToken', () => {
  test('accepts a token of every kind and answers its kind', () => {
    for (const kind of KEY_KINDS) assert.equal(parseToken(generateToken(kind)), kind);
  });

  test('refuses every single changed character, whatever the position', () => {
    for (const kind of KEY_KINDS) {
      const token = generateToken(kind);
      for (let i = 0; i < token.length; i++) {
        for (const c of OTHER_CHARACTERS) {
          if (c === token[i]) continue;
          const changed = token.slice(0, i) + c + token.slice(i + 1);
          assert.equal(parseToken(changed), null, `accepted ${changed} (position ${i} of ${token})`);
        }
      }
    }
  });

  test('refuses a truncated token, an extra character anywhere, and two swapped neighbours', () => {
    const token = generateToken('admin-author');
    for (let n = 0; n < token.length; n++) assert.equal(parseToken(token.slice(0, n)), null);
    for (let n = 1; n < token.length; n++) assert.equal(parseToken(token.slice(n)), null);
    for (let i = 0; i <= token.length; i++) {
      assert.equal(parseToken(`${token.slice(0, i)}x${token.slice(i)}`), null);
    }
    for (let i = 0; i + 1 < token.length; i++) {
      if (token[i] === token[i + 1]) continue;
      const swapped = token.slice(0, i) + token[i + 1] + token[i] + token.slice(i + 2);
      assert.equal(parseToken(swapped), null, `accepted ${swapped}`);
    }
  });

  test('refuses what is not a token at all', () => {
    for (const text of [
      '',
      'tess_',
      'tess_rest_',
      'Bearer x',
      'x'.repeat(10_000),
      `${'tess_rest_'}${'a'.repeat(36)}`,
    ]) {
      assert.equal(parseToken(text), null);
    }
    // A valid token of one kind relabelled as another is refused by the checksum.
    const rest = generateToken('rest');
    assert.equal(parseToken(rest.replace('tess_rest_', 'tess_rw_')), null);
  });
});

describe('TOKEN_PATTERN', () => {
  test('finds every token in text, and candidates are confirmed by parseToken', () => {
    const tokens = KEY_KINDS.map((kind) => generateToken(kind));
    const text = [
      `const key = "${tokens[0]}";`,
      `curl -H 'Authorization: Bearer ${tokens[1]}'`,
      `https://example.com/acc/v3/agent-api?apikey=${tokens[2]}&session=1`,
      `${tokens[3]}`,
      'not a key: tess_rest_tooShort and tess_xx_aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa',
    ].join('\n');
    const found = text.match(TOKEN_PATTERN) ?? [];
    assert.deepEqual(found, tokens);
    // twice in a row: the global pattern keeps no state between uses
    assert.deepEqual(
      [...text.matchAll(TOKEN_PATTERN)].map((m) => m[0]),
      tokens,
    );
    for (const candidate of found) assert.notEqual(parseToken(candidate), null);
  });

  test('does not match inside a longer run of letters and digits', () => {
    const token = generateToken('rest');
    assert.equal(`${token}abc`.match(TOKEN_PATTERN), null);
    assert.equal(`x${token}`.match(TOKEN_PATTERN), null);
  });
});

describe('maskToken', () => {
  test('keeps the kind prefix and four characters each end, never the secret', () => {
    for (const kind of KEY_KINDS) {
      const token = generateToken(kind);
      const masked = maskToken(token);
      const prefix = token.slice(0, token.length - 36);
      assert.equal(masked, `${prefix}${token.slice(prefix.length, prefix.length + 4)}…${token.slice(-4)}`);
      assert.ok(!masked.includes(token.slice(prefix.length, -4)));
      assert.equal(parseToken(masked), null);
      assert.equal(masked.match(TOKEN_PATTERN), null, 'a masked key must not look like a key to a scanner');
    }
  });
});

describe('hashToken', () => {
  test('is SHA-256 and does not contain the token', () => {
    const token = generateToken('rest');
    const hashed = hashToken(token);
    assert.equal(hashed, hashToken(token));
    assert.equal(Buffer.from(hashed, 'base64url').length, 32);
    assert.ok(!hashed.includes(token.slice(10, 20)));
    assert.notEqual(hashed, hashToken(generateToken('rest')));
  });
});
