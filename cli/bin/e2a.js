#!/usr/bin/env node
// Loads the TypeScript entry in this same process through tsx (no build step).
import { register } from 'tsx/esm/api';

register();
const { run } = await import('../src/main.ts');
process.exit(await run(process.argv.slice(2)));
