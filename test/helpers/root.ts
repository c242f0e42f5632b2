/**
 * The repository's root, for tests that start `bin/tessera.js` or read its configuration. `npm
 * test` runs the tests compiled into a folder under `.test-build/` (scripts/test.mjs), so the root
 * is found above that folder, not two levels above this file.
 */
import { join, sep } from 'node:path';

const here = join(import.meta.dirname, '..', '..');
const built = here.lastIndexOf(`${sep}.test-build${sep}`);

export const ROOT = built === -1 ? here : here.slice(0, built);
