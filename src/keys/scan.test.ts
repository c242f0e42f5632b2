import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type TestContext, test } from 'node:test';
import { findTokens, scanPaths } from './scan.js';
import { generateToken } from './token.js';

/** A directory under the system's temporary one, removed when the test ends. */
function tempDir(t: TestContext, name: string): string {
  const dir = mkdtempSync(join(tmpdir(), `tessera-scan-${name}-`));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  return dir;
}

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
  const clean = spawnSync(process.execPath, ['--import', 'tsx', 'src/app/cli.ts', 'scan', dir], {
    encoding: 'utf8',
  });
  assert.equal(clean.status, 0, clean.stderr);
  assert.match(clean.stdout, /\tjs\t/);
  writeFileSync(join(dir, 'secret.env'), generateToken('admin-read'));
  const dirty = spawnSync(process.execPath, ['--import', 'tsx', 'src/app/cli.ts', 'scan', dir], {
    encoding: 'utf8',
  });
  assert.equal(dirty.status, 1);
  assert.match(dirty.stdout, /secret\.env:1\tadmin-read\ttess_ro_/);
});

test('a token percent-encoded as in a logged URL (%5F or %5f for `_`) is found, decoded', () => {
  const token = generateToken('rest');
  for (const encoded of [token.replaceAll('_', '%5F'), token.replaceAll('_', '%5f')]) {
    const found = findTokens(`GET /v3/agent-api?session=s&apikey=${encoded}&x=1\n`, 'access.log');
    assert.deepEqual(
      found.map((f) => [f.line, f.kind, f.token]),
      [[1, 'rest', token]],
    );
  }
});

test('UTF-16 files (LE or BE, with a BOM) are decoded; UTF-8 with or without a BOM still works', async (t) => {
  const dir = tempDir(t, 'utf16');
  const token = generateToken('admin-read');
  const text = `first line\r\nkey=${token}\r\n`;
  const le = Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]);
  writeFileSync(join(dir, 'le.txt'), le);
  writeFileSync(join(dir, 'be.txt'), Buffer.from(le).swap16());
  writeFileSync(join(dir, 'bom8.txt'), Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)]));
  writeFileSync(join(dir, 'plain8.txt'), `é ünïcode\n${token}\n`);

  const found = await scanPaths([dir]);
  const summary = found.map((f) => `${f.file.slice(dir.length + 1)}:${f.line}:${f.token === token}`).sort();
  assert.deepEqual(summary, ['be.txt:2:true', 'bom8.txt:2:true', 'le.txt:2:true', 'plain8.txt:2:true']);
});

test('a file over 10 MB is scanned too, line by line', async (t) => {
  const dir = tempDir(t, 'large');
  const token = generateToken('rest');
  const filler = Buffer.alloc(12 * 1024 * 1024, 'no key here\n');
  const lines = filler.toString('latin1').split('\n').length - 1;
  writeFileSync(join(dir, 'dump.sql'), Buffer.concat([filler, Buffer.from(`INSERT '${token}';\n`)]));

  const found = await scanPaths([dir]);
  assert.deepEqual(
    found.map((f) => [f.line, f.token]),
    [[lines + 1, token]],
  );
});

test('a symlink to a file is followed; one to a directory is skipped with a warning', async (t) => {
  const dir = tempDir(t, 'links');
  const elsewhere = tempDir(t, 'link-target');
  const token = generateToken('admin-author');
  writeFileSync(join(elsewhere, 'shared.env'), `KEY=${token}\n`);
  symlinkSync(join(elsewhere, 'shared.env'), join(dir, '.env'));
  symlinkSync(dir, join(dir, 'loop'));
  symlinkSync(join(dir, 'missing'), join(dir, 'dangling'));

  const warnings: string[] = [];
  const found = await scanPaths([dir], { warn: (message) => warnings.push(message) });
  assert.deepEqual(
    found.map((f) => [f.file, f.token]),
    [[join(dir, '.env'), token]],
  );
  assert.equal(warnings.length, 1, warnings.join('\n'));
  assert.match(warnings[0], /loop/);
  assert.ok(warnings[0].includes(join(dir, 'loop')), warnings[0]);
});

test('`tessera scan DIR | head -1`: a closed stdout ends no stack trace and keeps the exit status', async (t) => {
  const dir = tempDir(t, 'epipe');
  for (let i = 0; i < 200; i++) writeFileSync(join(dir, `k${i}.env`), generateToken('rest'));
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/cli.ts', 'scan', dir], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.destroy(); // the reader is gone before the first line is written
  let stderr = '';
  child.stderr.on('data', (chunk) => {
    stderr += chunk;
  });
  const status = await new Promise<number | null>((resolve) => child.on('close', resolve));
  assert.doesNotMatch(stderr, /EPIPE|Error|at /, stderr);
  assert.match(stderr, /200 Tessera key\(s\) found, 200 live or unchecked secret key/);
  assert.equal(status, 1);
});

test('a file of one very long line is scanned in parts: tokens across a cut are found, each once', async (t) => {
  const dir = tempDir(t, 'long-line');
  const across = generateToken('rest');
  const inside = generateToken('admin-read');
  const late = generateToken('admin-author');
  // Read in 64 KiB chunks, a line is cut once it holds over 1 MiB: after the 17th chunk.
  const cut = 17 * 64 * 1024;
  const filler = (length: number) => ' '.repeat(length);
  const text =
    filler(cut - 20) + // `across` starts 20 characters before the cut
    across +
    filler(100) +
    filler(3 * 1024 * 1024) +
    inside + // somewhere in the middle of a later part
    filler(2 * 1024 * 1024) +
    late;
  writeFileSync(join(dir, 'bundle.min.js'), text);
  // And one that ends just before the cut, inside what the next part repeats.
  const repeated = generateToken('rest');
  writeFileSync(join(dir, 'overlap.min.js'), `${filler(cut - 50)}${repeated}${filler(1000)}`);
  const found = await scanPaths([dir]);
  assert.deepEqual(
    found
      .map((f) => [f.file.slice(dir.length + 1), f.token, f.line])
      .sort((x, y) => String(x[0]).localeCompare(String(y[0]))),
    [
      ['bundle.min.js', across, 1],
      ['bundle.min.js', inside, 1],
      ['bundle.min.js', late, 1],
      ['overlap.min.js', repeated, 1],
    ],
  );
});
