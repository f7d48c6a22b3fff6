#!/usr/bin/env node
// Loads the TypeScript entry in this same process through tsx (no build step, signals reach it).
import { register } from 'tsx/esm/api';

register();
await import('../src/main.ts');
