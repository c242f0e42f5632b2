#!/usr/bin/env node
// Runs the TypeScript CLI through tsx, so the installed command needs no build step. The
// project's tsconfig is named explicitly: the command may run from any directory, and the
// console's JSX must compile the same way everywhere.
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

register({ tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)) });
await import('../src/app/cli.ts');
