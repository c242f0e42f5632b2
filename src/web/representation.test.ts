import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { brotliDecompressSync, gunzipSync } from 'node:zlib';
import { preferredEncoding, Representation } from './representation.js';

describe('cacheable representations', () => {
  test("the client's most preferred of br and gzip, else identity", () => {
    assert.equal(preferredEncoding(undefined), 'identity');
    assert.equal(preferredEncoding(''), 'identity');
    assert.equal(preferredEncoding('gzip, deflate, br'), 'br');
    assert.equal(preferredEncoding('gzip'), 'gzip');
    assert.equal(preferredEncoding('br;q=0.5, gzip;q=0.8'), 'gzip');
    assert.equal(preferredEncoding('br;q=0, gzip'), 'gzip');
    assert.equal(preferredEncoding('gzip;q=0'), 'identity');
    assert.equal(preferredEncoding('*'), 'br');
    assert.equal(preferredEncoding('*;q=0.1, br;q=0'), 'gzip');
    assert.equal(preferredEncoding('deflate, identity'), 'identity');
    assert.equal(preferredEncoding('GZIP;Q=1'), 'gzip');
    assert.equal(preferredEncoding('br;q=nonsense, gzip'), 'gzip');
  });

  test('each encoding decodes to the body, is compressed once, and has its own ETag', () => {
    const text = `window.x = ${JSON.stringify('é'.repeat(500))};`;
    const rep = new Representation(text, 'application/javascript');
    assert.equal(gunzipSync(rep.bytes('gzip')).toString('utf8'), text);
    assert.equal(brotliDecompressSync(rep.bytes('br')).toString('utf8'), text);
    assert.equal(rep.bytes('br'), rep.bytes('br'), 'the same buffer: compressed once');
    assert.ok(rep.bytes('gzip').length < rep.body.length);
    assert.match(rep.etag, /^"[A-Za-z0-9_-]{32}"$/);
    assert.equal(rep.etagFor('identity'), rep.etag);
    assert.equal(rep.etagFor('gzip'), `${rep.etag.slice(0, -1)}-gz"`);
    assert.equal(rep.etagFor('br'), `${rep.etag.slice(0, -1)}-br"`);
    assert.notEqual(new Representation(`${text} `, 'application/javascript').etag, rep.etag);
  });

  test('If-None-Match matches the content in any encoding, in a list, or as *', () => {
    const rep = new Representation('content', 'text/plain');
    assert.equal(rep.matches(undefined), false);
    assert.equal(rep.matches(rep.etag), true);
    assert.equal(rep.matches(rep.etagFor('br')), true);
    assert.equal(rep.matches(`"other", ${rep.etagFor('gzip')}`), true);
    assert.equal(rep.matches(`W/${rep.etag}`), true);
    assert.equal(rep.matches('*'), true);
    assert.equal(rep.matches('"other"'), false);
    assert.equal(rep.matches(rep.etag.slice(1, -1)), false, 'an unquoted tag is not the tag');
  });
});
