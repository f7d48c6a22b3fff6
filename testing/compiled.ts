/**
 * The compiled JavaScript that tests spawn (the server, the CLI, a child that must crash on its own),
 * and the check that it is current. Tests themselves run the TypeScript sources; a process they
 * spawn runs dist/, as users do, and `npm test` builds before it tests. A test file run on its own
 * (`npx vitest run file`) right after an edit could spawn a dist/ older than the sources, so this
 * refuses to, naming the file and the fix, rather than letting a test pass or fail on old code.
 *
 * What "the sources" are comes from each workspace's last build (the file list tsc records in
 * dist/.tsbuildinfo), so the rule for what is built lives in one place, tsconfig.build.json.
 */
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Every workspace the build compiles (tsconfig.build.json's references). */
const BUILT = ['relay', 'sdk-ts', 'api', 'cli'] as const;

export class StaleBuildError extends Error {}

function mtimeMs(file: string): number | null {
  try {
    return statSync(file).mtimeMs;
  } catch {
    return null;
  }
}

/** Throws StaleBuildError when a workspace's dist/ is missing or older than one of its sources. */
export function assertBuildCurrent(root = ROOT): void {
  const fix = 'run `npm run build` first (`npm test` builds before it tests; `npm run build -- --watch` keeps dist/ current while you edit)';
  for (const workspace of BUILT) {
    const buildInfo = join(root, workspace, 'dist', '.tsbuildinfo');
    const builtAt = mtimeMs(buildInfo);
    if (builtAt === null) throw new StaleBuildError(`${workspace}/dist has not been built: ${fix}`);
    const { fileNames } = JSON.parse(readFileSync(buildInfo, 'utf8')) as { fileNames: string[] };
    for (const name of fileNames) {
      const source = resolve(dirname(buildInfo), name);
      if (relative(join(root, workspace, 'src'), source).startsWith('..')) continue;
      const changed = mtimeMs(source);
      // A source deleted since the build only matters if something still imports it, which is then newer.
      if (changed !== null && changed > builtAt) {
        throw new StaleBuildError(`${workspace}/dist is older than ${relative(root, source)}, edited after the last build: ${fix}`);
      }
    }
  }
}

/** The absolute path of a file in the repository that runs compiled code (a dist/ file or a bin), once the build is known current. */
export function compiled(path: string): string {
  assertBuildCurrent();
  return join(ROOT, path);
}

export const REPO_ROOT = ROOT;
