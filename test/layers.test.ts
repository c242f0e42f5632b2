/**
 * The layer order (docs/architecture.md) is held by the lint (`npm run lint` runs dependency-cruiser
 * with .dependency-cruiser.cjs). These cases show the rules refuse what they are meant to refuse:
 * each writes a small tree of its own, never touching the product's, and cruises it with the
 * product's own rules.
 */
import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, test } from 'node:test';
import { cruise as cruiseTree } from 'dependency-cruiser';
import extractDepcruiseOptions from 'dependency-cruiser/config-utl/extract-depcruise-options';
import extractTSConfig from 'dependency-cruiser/config-utl/extract-ts-config';
import { ROOT } from './helpers/root.js';

/**
 * Cruises `files` (path → source) with the product's rules, through dependency-cruiser's API in
 * this process (the lint runs its command line on the same configuration): one load of the
 * cruiser for every case, where a process per case spent seconds each loading it again.
 * Answers the exit code and the lint's error report.
 */
async function cruise(files: Record<string, string>): Promise<{ status: number; output: string }> {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-layers-'));
  try {
    copyFileSync(join(ROOT, '.dependency-cruiser.cjs'), join(dir, '.dependency-cruiser.cjs'));
    writeFileSync(
      join(dir, 'tsconfig.json'),
      JSON.stringify({ compilerOptions: { module: 'NodeNext', moduleResolution: 'NodeNext', strict: true } }),
    );
    symlinkSync(join(ROOT, 'node_modules'), join(dir, 'node_modules'));
    for (const [path, source] of Object.entries(files)) {
      mkdirSync(dirname(join(dir, path)), { recursive: true });
      writeFileSync(join(dir, path), source);
    }
    const options = await extractDepcruiseOptions(join(dir, '.dependency-cruiser.cjs'));
    const result = await cruiseTree(['src'], { ...options, baseDir: dir, outputType: 'err' }, undefined, {
      tsConfig: extractTSConfig(join(dir, 'tsconfig.json')),
    });
    return { status: result.exitCode, output: String(result.output) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('the lint holds the layer order', () => {
  test('a tree that keeps the order passes', async () => {
    const { status, output } = await cruise({
      'src/kernel/ids.ts': 'export const id = () => "x";\n',
      'src/store/schema.ts': "import { id } from '../kernel/ids.js';\nexport const table = id();\n",
      'src/keys/token.ts': "import { table } from '../store/schema.js';\nexport const token = table;\n",
      'src/web/authenticate.ts': "import { token } from '../keys/token.js';\nexport const auth = token;\n",
      'src/api/routes.ts': "import { auth } from '../web/authenticate.js';\nexport const routes = auth;\n",
      'src/app/server.ts': "import { routes } from '../api/routes.js';\nexport const server = routes;\n",
    });
    assert.equal(status, 0, output);
  });

  test('an import upward is refused, naming the rule', async () => {
    const { status, output } = await cruise({
      'src/kernel/ids.ts': "import { server } from '../app/server.js';\nexport const id = server;\n",
      'src/app/server.ts': 'export const server = 1;\n',
    });
    assert.notEqual(status, 0);
    assert.match(output, /layer-kernel: src\/kernel\/ids\.ts → src\/app\/server\.ts/);
  });

  test('the domain may not import HTTP or a face', async () => {
    const { status, output } = await cruise({
      'src/keys/key-service.ts': "import type { Page } from '../console/page.js';\nexport type K = Page;\n",
      'src/console/page.ts': 'export type Page = string;\n',
    });
    assert.notEqual(status, 0);
    assert.match(output, /layer-audit-limits-events.*: src\/keys\/key-service\.ts → src\/console\/page\.ts/);
  });

  test("the domain's own order: a lower module may not import a higher one, type-only included", async () => {
    const { status, output } = await cruise({
      'src/audit/audit-log.ts':
        "import type { KeyKind } from '../keys/token.js';\nexport type A = KeyKind;\n",
      'src/keys/token.ts': "export type KeyKind = 'rest';\n",
    });
    assert.notEqual(status, 0);
    assert.match(output, /domain-audit: src\/audit\/audit-log\.ts → src\/keys\/token\.ts/);
  });

  test('a circle of type-only imports inside one module is refused', async () => {
    const { status, output } = await cruise({
      'src/agents/a.ts': "import type { B } from './b.js';\nexport interface A { b?: B }\n",
      'src/agents/b.ts': "import type { A } from './a.js';\nexport interface B { a?: A }\n",
    });
    assert.notEqual(status, 0);
    assert.match(output, /no-circular/);
  });

  test('the two faces do not import each other', async () => {
    const { status, output } = await cruise({
      'src/api/keys.ts': "import { page } from '../console/page.js';\nexport const keys = page;\n",
      'src/console/page.ts': 'export const page = 1;\n',
    });
    assert.notEqual(status, 0);
    assert.match(output, /faces-apart/);
  });
});
