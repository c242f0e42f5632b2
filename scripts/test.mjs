// Runs every test file (or those named) with Node's test runner, four files at a time, each in its
// own process.
//
// The tests run compiled: esbuild turns src/ and test/ into JavaScript in a folder of this run's
// own under .test-build/ (about a second), beside copies of every other file there (assets, and
// the TypeScript sources that tests hand to child processes). Each test file is a process, and
// loading the product through tsx's loader cost each one about a second of CPU more than loading
// it compiled: on two cores, about two minutes of each suite. Stack traces name the compiled
// files; NODE_OPTIONS=--enable-source-maps maps them back to the sources.
//
// Node 20's `node --test` expands no globs and runs the files it is given in alphabetical order,
// so the files are listed here and handed to `run()`, which keeps their order: the whole-product
// files under test/ (browsers, server processes) take most of the time and start first, so the
// many short unit files under src/ fill the cores at the end instead of one long browser file
// running alone.
import { cpSync, mkdirSync, readdirSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { run } from 'node:test';
import { spec, tap } from 'node:test/reporters';
import { build } from 'esbuild';

const ROOT = resolve(import.meta.dirname, '..');
const SOURCES = ['src', 'test'];

function isRunning(pid) {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it runs, as another user.
    return error.code === 'EPERM';
  }
}

function find(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return entry.name === 'node_modules' ? [] : find(path);
    return [path];
  });
}

// Inside the repository, so the compiled files find its node_modules; one folder per run, so two
// runs at once (SQLite and PostgreSQL, say) do not overwrite each other's files.
mkdirSync(join(ROOT, '.test-build'), { recursive: true });
// A run killed outright (SIGKILL) could not remove its folder: the folders of runs whose process
// is gone are removed here, and a run still going keeps its own.
for (const name of readdirSync(join(ROOT, '.test-build'))) {
  const pid = Number(/^run-(\d+)$/.exec(name)?.[1]);
  if (pid && !isRunning(pid)) rmSync(join(ROOT, '.test-build', name), { recursive: true, force: true });
}
const OUT = join(ROOT, '.test-build', `run-${process.pid}`);
const removeBuild = () => rmSync(OUT, { recursive: true, force: true });
process.once('exit', removeBuild);
for (const signal of ['SIGINT', 'SIGTERM']) process.once(signal, () => process.exit(130));

const files = SOURCES.flatMap((dir) => find(join(ROOT, dir)));
for (const file of files) cpSync(file, join(OUT, relative(ROOT, file)));
await build({
  entryPoints: files.filter((file) => /\.tsx?$/.test(file) && !file.endsWith('.d.ts')),
  outdir: OUT,
  outbase: ROOT,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  sourcemap: 'linked',
  jsx: 'automatic',
  jsxImportSource: '@kitajs/html',
  logLevel: 'warning',
});

const compiled = (file) => join(OUT, relative(ROOT, resolve(file))).replace(/\.tsx?$/, '.js');
const only = process.argv.slice(2);
const tests =
  only.length > 0
    ? only.map(compiled)
    : ['test', 'src']
        .flatMap((dir) => files.filter((file) => file.startsWith(join(ROOT, dir, '/'))).sort())
        .filter((file) => file.endsWith('.test.ts'))
        .map(compiled);
// The timeout caps each file as a whole: the Chromium tests took over two minutes beside three
// other files on a slowed 2-core machine, so a file may take five.
const stream = run({ files: tests, concurrency: 4, timeout: 300_000 });
stream.on('test:fail', (failed) => {
  if (failed.nesting === 0) process.exitCode = 1;
});
// The closing counts (`# pass`, `# fail`) are what CI reads: TAP unless a person is watching.
stream.compose(process.stdout.isTTY ? spec : tap).pipe(process.stdout);
