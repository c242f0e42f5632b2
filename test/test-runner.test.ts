/**
 * `npm test`'s runner (scripts/test.mjs) builds into a folder of its own run under .test-build/.
 * A run killed outright leaves its folder behind; the next run removes it, and leaves alone the
 * folder of a run still going (this one's, when the suite runs compiled).
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, sep } from 'node:path';
import { test } from 'node:test';
import { ROOT } from './helpers/root.js';

async function exitedPid(): Promise<number> {
  const child = spawn(process.execPath, ['-e', '']);
  await once(child, 'exit');
  assert.ok(child.pid);
  return child.pid;
}

test('a run removes the build folders of runs that are gone, and keeps those of runs going', async () => {
  const builds = join(ROOT, '.test-build');
  const gone = join(builds, `run-${await exitedPid()}`);
  const going = join(builds, `run-${process.pid}`);
  mkdirSync(join(gone, 'src'), { recursive: true });
  mkdirSync(going, { recursive: true });
  // This suite's own folder when it runs compiled (its files are in it).
  const mine = import.meta.dirname.includes(`${sep}.test-build${sep}`)
    ? join(builds, import.meta.dirname.slice(builds.length + 1).split(sep)[0])
    : null;
  try {
    const runner = spawn(
      process.execPath,
      [join(ROOT, 'scripts/test.mjs'), 'src/kernel/keyed-lock.test.ts'],
      {
        cwd: ROOT,
        // Without the outer runner's mark, which would make this one report to it instead.
        env: { ...process.env, NODE_TEST_CONTEXT: undefined },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    let output = '';
    runner.stdout.on('data', (chunk) => {
      output += chunk;
    });
    const [code] = await once(runner, 'exit');
    assert.equal(code, 0, output);
    assert.match(output, /# pass [1-9]/);
    assert.equal(existsSync(gone), false, 'the folder of a run that is gone is removed');
    assert.equal(existsSync(going), true, 'the folder of a run still going is kept');
    if (mine) assert.equal(existsSync(mine), true, "this suite's own folder is kept");
  } finally {
    rmSync(gone, { recursive: true, force: true });
    rmSync(going, { recursive: true, force: true });
  }
});
