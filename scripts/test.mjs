// Runs every test file with Node's test runner. Node 20's `node --test` expands no globs, so the
// files are listed here: every *.test.ts under src/ and test/.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : find(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : ['src', 'test'].flatMap(find).sort();
// The timeout also caps each file as a whole: the Chromium agreement test of aimed agents
// (10,000 sessions, about a minute alone) took over two minutes beside three other files on a
// slowed 2-core machine, so a file may take five.
const result = spawnSync(
  process.execPath,
  ['--import', 'tsx', '--test', '--test-concurrency=4', '--test-timeout=300000', ...files],
  { stdio: 'inherit' },
);
process.exit(result.status ?? 1);
