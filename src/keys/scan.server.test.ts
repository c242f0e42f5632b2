/**
 * `tessera scan --server URL`: each token found asks the server what it is (it introspects itself),
 * so the output says live, deleted, expired or unknown, and only a live secret key fails the scan.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { createTestApp, type TestApp } from '../../test/helpers/app.js';
import { generateToken } from './token.js';

let clock = Date.UTC(2032, 0, 1);
let t: TestApp;
let server: string;

before(async () => {
  t = await createTestApp({ services: { now: () => clock, keyUsageFlushMs: 0 } });
  server = await t.app.listen({ port: 0, host: '127.0.0.1' });
});
after(() => t.close());

/** Runs the CLI without blocking this process (the server answering it lives here). */
function scan(...args: string[]): Promise<{ status: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', 'src/app/cli.ts', 'scan', ...args],
      { encoding: 'utf8' },
      (error, stdout, stderr) => {
        const status = error ? Number((error as { code?: number }).code ?? 1) : 0;
        resolve({ status, stdout, stderr });
      },
    );
  });
}

/** The state printed for the token at `file:line`. */
function stateOf(stdout: string, file: string): string | undefined {
  const line = stdout.split('\n').find((l) => l.includes(`${file}:1\t`));
  return line?.split('\t')[3];
}

test('--server says which tokens are live, deleted, expired or unknown; only a live secret fails', async () => {
  const acc = t.account.id;
  const live = await t.key('rest', { name: 'live' });
  const deleted = await t.key('admin-read', { name: 'deleted' });
  await t.services.keys.deleteKey(acc, deleted.id, 'test');
  const expiring = await t.services.keys.createKey(
    acc,
    { kind: 'admin-author', name: 'expired', expiresAt: clock + 1000 },
    'test',
  );
  const rolled = await t.key('admin-read', { name: 'rolled' });
  await t.services.keys.rollKey(acc, rolled.id, 0);
  const js = await t.key('js', { name: 'public' });
  clock += 2000;

  const dir = mkdtempSync(join(tmpdir(), 'tessera-scan-server-'));
  const files: Record<string, string> = {
    'live.env': live.secret,
    'deleted.env': deleted.secret,
    'expired.env': expiring.secret,
    'rolled.env': rolled.secret,
    'unknown.env': generateToken('rest'),
    'page.html': js.secret,
  };
  for (const [name, token] of Object.entries(files)) writeFileSync(join(dir, name), `${token}\n`);

  const dirty = await scan(dir, '--server', server);
  assert.equal(dirty.status, 1, dirty.stderr);
  assert.equal(stateOf(dirty.stdout, 'live.env'), 'live');
  assert.equal(stateOf(dirty.stdout, 'deleted.env'), 'deleted');
  assert.equal(stateOf(dirty.stdout, 'expired.env'), 'expired');
  assert.equal(stateOf(dirty.stdout, 'rolled.env'), 'expired', "a rolled key's old secret after its grace");
  assert.equal(stateOf(dirty.stdout, 'unknown.env'), 'unknown');
  assert.equal(stateOf(dirty.stdout, 'page.html'), 'live (public JS key)');
  assert.match(dirty.stderr, /6 Tessera key\(s\) found, 1 live or unchecked secret key/);
  for (const token of Object.values(files))
    assert.ok(!dirty.stdout.includes(token), 'tokens are printed masked');

  // Asking about a key is not using it: the scan leaves no trace in its usage.
  const usage = (await t.services.keyUsage.usageOf([live.id])).get(live.id);
  assert.equal(usage?.lastUse, null);

  await t.services.keys.deleteKey(acc, live.id, 'test');
  const clean = await scan(dir, '--server', server);
  assert.equal(clean.status, 0, clean.stdout);
  assert.equal(stateOf(clean.stdout, 'live.env'), 'deleted');
});

test('an unreachable server leaves secret keys counted as live', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-scan-down-'));
  writeFileSync(join(dir, 'key.env'), generateToken('admin-read'));
  const res = await scan(dir, '--server', 'http://127.0.0.1:9');
  assert.equal(res.status, 1);
  assert.equal(stateOf(res.stdout, 'key.env'), 'unreachable');
});

test('an answer that is not a definite verdict leaves the key unchecked, counted, with what was answered', async (t) => {
  // Each token gets its own answer from a server that is not (yet) a working Tessera.
  const answers = new Map<string, { status: number; body: string }>([
    [generateToken('rest'), { status: 503, body: '{"status":503,"code":"starting"}' }],
    [generateToken('admin-read'), { status: 404, body: '<html>Not Found</html>' }],
    [generateToken('admin-author'), { status: 500, body: '' }],
    [generateToken('rest'), { status: 200, body: '<html>Welcome</html>' }],
    [generateToken('rest'), { status: 403, body: '{"status":403,"code":"something_else"}' }],
  ]);
  const fake = createServer((req, res) => {
    const answer = answers.get(String(req.headers.authorization).replace('Bearer ', ''));
    res.writeHead(answer?.status ?? 400).end(answer?.body);
  });
  await new Promise<void>((resolve) => fake.listen(0, '127.0.0.1', resolve));
  t.after(() => fake.close());
  const dir = mkdtempSync(join(tmpdir(), 'tessera-scan-unchecked-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const tokens = [...answers.keys()];
  tokens.forEach((token, i) => {
    writeFileSync(join(dir, `k${i}.env`), `${token}\n`);
  });

  const res = await scan(dir, '--server', `http://127.0.0.1:${(fake.address() as AddressInfo).port}`);
  assert.equal(res.status, 1, res.stdout);
  assert.deepEqual(
    tokens.map((_, i) => stateOf(res.stdout, `k${i}.env`)),
    [
      'unchecked (server answered 503)',
      'unchecked (server answered 404)',
      'unchecked (server answered 500)',
      'unchecked (server answered 200)',
      'unchecked (server answered 403)',
    ],
  );
  assert.match(res.stderr, /5 Tessera key\(s\) found, 5 live or unchecked secret key/);
});
