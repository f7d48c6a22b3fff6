#!/usr/bin/env node
// Runs the compiled CLI in this same process. cli/dist is written by `npm run build`, which
// `npm install` and `npm ci` run (the prepare script).
import { existsSync } from 'node:fs';
import module from 'node:module';

// Node ≥ 22.1 keeps V8's compiled code of the modules below on disk between runs (in the OS temp
// directory), which takes ~10 % off every start; older Node has no such call and starts as before.
module.enableCompileCache?.();

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('e2a: cli/dist/main.js is missing: run `npm run build` (or `npm install`) at the root of the e2a checkout\n');
  process.exit(1);
}
const { run } = await import(main.href);
process.exit(await run(process.argv.slice(2)));
