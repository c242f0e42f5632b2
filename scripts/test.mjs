// Runs every test file (or those named) with Node's test runner, four files at a time, each in its
// own process. Node 20's `node --test` expands no globs and runs the files it is given in
// alphabetical order, so the files are listed here and handed to `run()`, which keeps their order:
// the whole-product files under test/ (browsers, server processes) take most of the time and start
// first, so the many short unit files under src/ fill the cores at the end instead of one long
// browser file running alone.
import { spawnSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { fileURLToPath } from 'node:url';

// Each file's process is started with this process's options: TypeScript needs tsx's loader.
if (!process.execArgv.some((option) => option.includes('tsx'))) {
  const self = fileURLToPath(import.meta.url);
  const child = spawnSync(process.execPath, ['--import', 'tsx', self, ...process.argv.slice(2)], {
    stdio: 'inherit',
  });
  process.exit(child.status ?? 1);
}

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : find(path);
    return entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

const only = process.argv.slice(2);
const files = only.length > 0 ? only : ['test', 'src'].flatMap((dir) => find(dir).sort());
// The timeout caps each file as a whole: the Chromium tests took over two minutes beside three
// other files on a slowed 2-core machine, so a file may take five.
const tests = run({ files, concurrency: 4, timeout: 300_000 });
tests.on('test:fail', (failed) => {
  if (failed.nesting === 0) process.exitCode = 1;
});
// The closing counts (`# pass`, `# fail`) are what CI reads: TAP unless a person is watching.
tests.compose(process.stdout.isTTY ? spec : tap).pipe(process.stdout);
