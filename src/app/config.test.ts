import assert from 'node:assert/strict';
import { test } from 'node:test';
import { loadConfig } from './config.js';

test('an empty PORT is an unset one: the default port, not any free port', () => {
  assert.equal(loadConfig({ PORT: '' }).PORT, 8080);
  assert.equal(loadConfig({ PORT: '0' }).PORT, 0);
  assert.throws(() => loadConfig({ PORT: 'eighty' }), /Configuration: PORT/);
});

test('sqlite: without a path is refused: it would keep everything in memory, lost at exit', () => {
  assert.throws(
    () => loadConfig({ TESSERA_DATABASE_URL: 'sqlite:' }),
    /TESSERA_DATABASE_URL: sqlite: needs a file path/,
  );
  assert.equal(loadConfig({ TESSERA_DATABASE_URL: 'sqlite:./x.db' }).TESSERA_DATABASE_URL, 'sqlite:./x.db');
  assert.equal(
    loadConfig({ TESSERA_DATABASE_URL: 'sqlite::memory:' }).TESSERA_DATABASE_URL,
    'sqlite::memory:',
  );
});

test('TESSERA_ADMIN_EMAIL must be an email address; blank is unset (the setup link is printed instead)', () => {
  assert.throws(
    () => loadConfig({ TESSERA_ADMIN_EMAIL: 'not an email' }),
    /TESSERA_ADMIN_EMAIL: must be an email address/,
  );
  assert.throws(
    () => loadConfig({ TESSERA_ADMIN_EMAIL: `${'a'.repeat(250)}@example.com` }),
    /TESSERA_ADMIN_EMAIL/,
  );
  assert.equal(loadConfig({ TESSERA_ADMIN_EMAIL: '   ' }).TESSERA_ADMIN_EMAIL, undefined);
  assert.equal(loadConfig({ TESSERA_ADMIN_EMAIL: ' me@example.com ' }).TESSERA_ADMIN_EMAIL, 'me@example.com');
});

test('TESSERA_PUBLIC_URL must be an http(s) URL and TESSERA_TRUST_PROXY true or false: a typo is not ignored', () => {
  assert.throws(
    () => loadConfig({ TESSERA_PUBLIC_URL: 'not a url' }),
    /TESSERA_PUBLIC_URL: must be an http or https URL/,
  );
  assert.throws(() => loadConfig({ TESSERA_PUBLIC_URL: 'ftp://example.com' }), /TESSERA_PUBLIC_URL/);
  assert.equal(
    loadConfig({ TESSERA_PUBLIC_URL: 'https://tessera.example.com' }).TESSERA_PUBLIC_URL,
    'https://tessera.example.com',
  );
  assert.throws(() => loadConfig({ TESSERA_TRUST_PROXY: 'yes' }), /TESSERA_TRUST_PROXY/);
  assert.equal(loadConfig({ TESSERA_TRUST_PROXY: 'true' }).TESSERA_TRUST_PROXY, 'true');
  assert.equal(loadConfig({ TESSERA_TRUST_PROXY: '' }).TESSERA_TRUST_PROXY, undefined);
});

test('TESSERA_SESSION_CACHE is a number of sessions, from 1,000 to 10,000,000; blank is unset (the default)', () => {
  assert.equal(loadConfig({}).TESSERA_SESSION_CACHE, undefined);
  assert.equal(loadConfig({ TESSERA_SESSION_CACHE: '' }).TESSERA_SESSION_CACHE, undefined);
  assert.equal(loadConfig({ TESSERA_SESSION_CACHE: '500000' }).TESSERA_SESSION_CACHE, 500_000);
  assert.throws(
    () => loadConfig({ TESSERA_SESSION_CACHE: 'lots' }),
    /TESSERA_SESSION_CACHE: a number of sessions/,
  );
  assert.throws(() => loadConfig({ TESSERA_SESSION_CACHE: '10' }), /TESSERA_SESSION_CACHE: at least 1000/);
  assert.throws(
    () => loadConfig({ TESSERA_SESSION_CACHE: '20000000' }),
    /TESSERA_SESSION_CACHE: at most 10000000/,
  );
  assert.throws(() => loadConfig({ TESSERA_SESSION_CACHE: '2500.5' }), /TESSERA_SESSION_CACHE/);
});
