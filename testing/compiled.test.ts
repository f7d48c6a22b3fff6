import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { assertBuildCurrent, StaleBuildError } from './compiled.js';

const WORKSPACES = ['relay', 'sdk-ts', 'api', 'cli'];
const roots: string[] = [];
afterEach(() => {
  for (const root of roots.splice(0)) rmSync(root, { recursive: true, force: true });
});

/** A tree laid out as the repository is, each workspace built at t=1000 s from src/main.ts written at t=900 s. */
function builtTree(): string {
  const root = mkdtempSync(join(tmpdir(), 'e2a-compiled-'));
  roots.push(root);
  for (const workspace of WORKSPACES) {
    mkdirSync(join(root, workspace, 'src'), { recursive: true });
    mkdirSync(join(root, workspace, 'dist'), { recursive: true });
    writeFileSync(join(root, workspace, 'src', 'main.ts'), '');
    writeFileSync(join(root, workspace, 'src', 'main.test.ts'), '');
    // What tsc records: every file the build read, relative to dist/ (lib files included).
    writeFileSync(join(root, workspace, 'dist', '.tsbuildinfo'), JSON.stringify({ fileNames: ['../../node_modules/typescript/lib/lib.es2023.d.ts', '../src/main.ts'] }));
    utimesSync(join(root, workspace, 'src', 'main.ts'), 900, 900);
    utimesSync(join(root, workspace, 'src', 'main.test.ts'), 900, 900);
    utimesSync(join(root, workspace, 'dist', '.tsbuildinfo'), 1000, 1000);
  }
  return root;
}

describe('assertBuildCurrent', () => {
  it('passes when every dist/ was built after its sources', () => {
    expect(() => assertBuildCurrent(builtTree())).not.toThrow();
  });

  it('names the source edited after the build, and the fix', () => {
    const root = builtTree();
    utimesSync(join(root, 'sdk-ts', 'src', 'main.ts'), 1100, 1100);
    expect(() => assertBuildCurrent(root)).toThrow(StaleBuildError);
    expect(() => assertBuildCurrent(root)).toThrow('sdk-ts/dist is older than sdk-ts/src/main.ts, edited after the last build: run `npm run build` first');
  });

  it('ignores files the build does not read (tests)', () => {
    const root = builtTree();
    utimesSync(join(root, 'api', 'src', 'main.test.ts'), 1100, 1100);
    expect(() => assertBuildCurrent(root)).not.toThrow();
  });

  it('says so when a workspace was never built', () => {
    const root = builtTree();
    rmSync(join(root, 'cli', 'dist'), { recursive: true });
    expect(() => assertBuildCurrent(root)).toThrow('cli/dist has not been built: run `npm run build` first');
  });
});
