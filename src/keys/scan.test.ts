import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findTokens, scanPaths } from './scan.js';
import { generateToken } from './token.js';

function breakChecksum(token: string): string {
  const last = token.at(-1) === 'a' ? 'b' : 'a';
  return token.slice(0, -1) + last;
}

test('finds planted tokens of every kind with file and line, and ignores look-alikes', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-scan-'));
  const rest = generateToken('rest');
  const js = generateToken('js');
  const admin = generateToken('admin-author');
  mkdirSync(join(dir, 'src'));
  mkdirSync(join(dir, 'node_modules'));
  writeFileSync(join(dir, 'src', 'client.ts'), `const a = 1;\nconst key = "${rest}";\n`);
  writeFileSync(join(dir, 'page.html'), `<script src="/x?apikey=${js}"></script>\n${breakChecksum(admin)}\n`);
  writeFileSync(join(dir, '.env'), `ADMIN=${admin}\nOTHER=${rest.slice(0, -2)}\n`);
  writeFileSync(join(dir, 'node_modules', 'ignored.js'), rest);

  const found = await scanPaths([dir]);
  const summary = found.map((f) => `${f.file.slice(dir.length + 1)}:${f.line}:${f.kind}`).sort();
  assert.deepEqual(summary, ['.env:1:admin-author', 'page.html:1:js', 'src/client.ts:2:rest']);
  for (const f of found)
    assert.ok(!f.masked.includes(f.token.slice(14, 30)), 'the masked form hides the middle');
});

test('a token glued to an underscore or punctuation is found; one inside a longer word is not', () => {
  const token = generateToken('rest');
  for (const text of [`MY_KEY_${token}`, `"${token}"`, `key=${token};`, `${token}_old`]) {
    assert.equal(findTokens(`${text}\n`, 'f').length, 1, text.replace(token, 'TOKEN'));
  }
  for (const text of [`x${token}`, `${token}x`]) {
    assert.equal(findTokens(`${text}\n`, 'f').length, 0, text.replace(token, 'TOKEN'));
  }
});

test('a token with one changed character is not reported', () => {
  const token = generateToken('rest');
  const changed = `${token.slice(0, 12)}${token[12] === 'x' ? 'y' : 'x'}${token.slice(13)}`;
  assert.equal(findTokens(`${token}\n`, 'f').length, 1);
  assert.equal(findTokens(`${changed}\n`, 'f').length, 0);
});

test('`tessera scan` exits 1 when a secret key is found and 0 for only public JS keys', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-scan-cli-'));
  writeFileSync(join(dir, 'public.html'), generateToken('js'));
  const clean = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'scan', dir], {
    encoding: 'utf8',
  });
  assert.equal(clean.status, 0, clean.stderr);
  assert.match(clean.stdout, /\tjs\t/);
  writeFileSync(join(dir, 'secret.env'), generateToken('admin-read'));
  const dirty = spawnSync(process.execPath, ['--import', 'tsx', 'src/cli.ts', 'scan', dir], {
    encoding: 'utf8',
  });
  assert.equal(dirty.status, 1);
  assert.match(dirty.stdout, /secret\.env:1\tadmin-read\ttess_ro_/);
});
