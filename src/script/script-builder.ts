/**
 * Builds the script tag. The client (client.ts, with the decision engine it imports) is bundled
 * and minified by esbuild once per process, on first use, in memory: no build step, no generated
 * file that could be missing or stale on a fresh clone (esbuild is already what runs the server's
 * TypeScript). Each served script is that bundle wrapped around one target's configuration.
 */
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import type { ScriptConfig } from './device-config.js';

const ENTRY = fileURLToPath(new URL('./client.ts', import.meta.url));
const HAS_OWN = fileURLToPath(new URL('./has-own.ts', import.meta.url));

let bundle: Promise<string> | undefined;

/** The minified client, built once per process (a failed build is retried on the next call). */
export function clientBundle(): Promise<string> {
  bundle ??= build({
    entryPoints: [ENTRY],
    bundle: true,
    write: false,
    minify: true,
    format: 'iife',
    platform: 'browser',
    // Syntax every browser of the last years runs; newer library calls are avoided or replaced.
    target: ['es2018'],
    define: { 'Object.hasOwn': 'tesseraHasOwn' },
    inject: [HAS_OWN],
    legalComments: 'none',
    logLevel: 'silent',
  }).then(
    (result) => result.outputFiles[0].text.trim(),
    (error: unknown) => {
      bundle = undefined;
      throw error;
    },
  );
  return bundle;
}

/** JSON that is also safe inside an inline <script> (someone may paste the script into a page). */
function scriptSafeJson(value: unknown): string {
  return JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');
}

/** The script served for one target: the client bundle, given its configuration. */
export async function buildScript(config: ScriptConfig): Promise<string> {
  const code = await clientBundle();
  return `/* Tessera script tag: deploy target ${config.target}, configuration ${config.snapshot.version} */\n(function(__TESSERA_CONFIG__){${code}})(${scriptSafeJson(config)});\n`;
}
