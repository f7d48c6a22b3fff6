#!/usr/bin/env node
// Runs the compiled server in this same process, so signals sent to it reach the gateway.
// api/dist is written by `npm run build`, which `npm install` and `npm ci` run (the prepare script).
import { existsSync } from 'node:fs';

const main = new URL('../dist/main.js', import.meta.url);
if (!existsSync(main)) {
  process.stderr.write('e2a-server: api/dist/main.js is missing: run `npm run build` (or `npm install`) at the root of the e2a checkout\n');
  process.exit(1);
}
await import(main.href);
