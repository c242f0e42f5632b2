/**
 * Key-verification micro-benchmark: `services.keyVerifier.verify` in a tight loop on one core,
 * for a cached (valid) key, a well-formed key that is not known (negative cache), and a malformed
 * key (refused by shape and checksum); and what counting one accepted use costs (key usage, in
 * memory). Runs alone with `npx tsx bench/key-verify.ts`.
 */
import { pathToFileURL } from 'node:url';
import { createServices } from '../src/app/services.js';
import { generateToken } from '../src/keys/token.js';
import { openStore } from '../src/store/connect.js';
import { migrateToLatest } from '../src/store/migrate.js';

export interface KeyVerifyResult {
  case: string;
  perSecond: number;
  nsPerVerification: number;
}

function loop(name: string, token: string, verify: (t: string) => unknown, expect: (r: unknown) => boolean) {
  // Warm up the JIT, then measure for about a second.
  for (let i = 0; i < 200_000; i++) verify(token);
  const first = verify(token);
  if (!expect(first)) throw new Error(`${name}: unexpected verification ${JSON.stringify(first)}`);
  let n = 0;
  const start = process.hrtime.bigint();
  let elapsed = 0n;
  while (elapsed < 1_000_000_000n) {
    for (let i = 0; i < 50_000; i++) verify(token);
    n += 50_000;
    elapsed = process.hrtime.bigint() - start;
  }
  const seconds = Number(elapsed) / 1e9;
  return { case: name, perSecond: n / seconds, nsPerVerification: (seconds * 1e9) / n };
}

export async function runKeyVerifyBench(): Promise<KeyVerifyResult[]> {
  const store = openStore({ url: 'sqlite::memory:' });
  await migrateToLatest(store);
  const services = createServices(store);
  try {
    const account = await services.accounts.create('Key bench');
    const { secret } = await services.keys.createKey(account.id, { kind: 'rest', name: 'bench' }, 'bench');
    const unknown = generateToken('rest');
    const verifier = services.keyVerifier;
    // The first verification of each reads the store; later ones are answered from memory.
    await verifier.verify(secret);
    await verifier.verify(unknown);
    const verify = (token: string) => verifier.verify(token);
    const isOk = (r: unknown) => (r as { ok?: boolean }).ok === true;
    const refused = (code: string) => (r: unknown) => (r as { code?: string }).code === code;
    // What the authenticate path adds per accepted request to count it (memory only).
    const usage = services.keyUsage;
    const countUse = () => usage.used('key-bench', 1, 'dt-bench', '127.0.0.1', 'bench/1.0', Date.now());
    return [
      loop('cache hit (valid key)', secret, verify, isOk),
      loop('count a use (key usage)', secret, countUse, () => true),
      loop('unknown well-formed key', unknown, verify, refused('key_unknown')),
      loop(
        'malformed key',
        `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`,
        verify,
        refused('key_malformed'),
      ),
    ];
  } finally {
    await services.close();
  }
}

export function printKeyVerify(results: KeyVerifyResult[]): void {
  console.log('\nKey verification (services.keyVerifier.verify, one core)');
  console.log(`${'case'.padEnd(28)}${'verifications/s'.padStart(18)}${'ns each'.padStart(10)}`);
  for (const r of results) {
    console.log(
      `${r.case.padEnd(28)}${Math.round(r.perSecond).toLocaleString('en-US').padStart(18)}${r.nsPerVerification.toFixed(0).padStart(10)}`,
    );
  }
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) {
  printKeyVerify(await runKeyVerifyBench());
}
