/**
 * The gateway as production runs it, for benches that measure its process from outside: `e2a-server
 * serve` from api/dist (what `npm start` and the image run), in a child process on a fresh database,
 * with an account bootstrapped by `e2a-server bootstrap` first and the HTTP API's rate limits out of
 * the bench's reach. Extra node arguments (`--import` a probe, `--expose-gc`) go to that process.
 *
 * The in-process bench gateway (bench-gateway.ts) runs the TypeScript sources under tsx, which
 * compiles with esbuild's keepNames: every function a module creates at run time is wrapped in
 * `__name(fn, …)`, whose defineProperty gives each closure a property dictionary of its own (~0.25 KB
 * here). That is noise for CPU figures, but for "what does one more connection keep alive" it is
 * most of the answer, and production has none of it.
 */
import { fork, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { assertBuildCurrent } from '../testing/compiled.js';
import { createFreshPostgres, type Engine } from './bench-database.js';
import { benchApi, benchSettings, type BenchApi } from './bench-gateway.js';

const ROOT = join(import.meta.dirname, '..');
const MAIN = join(ROOT, 'api/dist/main.js');

export interface CompiledGateway {
  child: ChildProcess;
  httpUrl: string;
  api: BenchApi;
  /** SIGTERM (the graceful stop), then the database or data directory is removed. */
  stop(): Promise<void>;
}


/** A compiled server's environment: benchSettings, a PATH and HOME, and its log on stdout (the bench reads "e2a listening"). */
export function compiledServerEnv(o: { dataDir?: string; databaseUrl: string }): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', E2A_LOG_LEVEL: 'info', ...benchSettings(o) };
}

/** Creates the bench account with `e2a-server bootstrap` on that environment's database; returns its API key. */
export function bootstrapServer(env: Record<string, string>): string {
  const boot = spawnSync(process.execPath, [MAIN, 'bootstrap', '--email', 'bench@example.com'], { cwd: ROOT, env, encoding: 'utf8' });
  const key = /API key: (\S+)/.exec(boot.stdout)?.[1];
  if (boot.status !== 0 || !key) throw new Error(`e2a-server bootstrap failed (${boot.status}): ${boot.stdout}${boot.stderr}`);
  return key;
}

/** Fails, naming the fix, when api/dist (or a workspace it uses) is older than its sources. */
export function assertGatewayBuilt(): void {
  assertBuildCurrent();
}

/** Call assertGatewayBuilt first, before anything is measured. */
export async function startCompiledGateway(engine: Engine, execArgv: string[]): Promise<CompiledGateway> {
  const dataDir = mkdtempSync(join(tmpdir(), 'e2a-bench-'));
  const postgres = engine === 'postgres' ? await createFreshPostgres() : null;
  const cleanup = async () => {
    await postgres?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  };
  const env = compiledServerEnv({ dataDir, databaseUrl: postgres?.url ?? '' });
  let child: ChildProcess | null = null;
  try {
    const key = bootstrapServer(env);
    const started = fork(MAIN, ['serve'], { cwd: ROOT, env, execArgv, stdio: ['ignore', 'pipe', 'pipe', 'ipc'] });
    child = started;
    const httpUrl = await new Promise<string>((resolve, reject) => {
      let out = '';
      const onData = (d: Buffer) => {
        out += d.toString();
        const line = out.split('\n').find((l) => l.includes('"e2a listening"'));
        // After the line, the log is read and dropped: a pipe nobody reads would stop the gateway.
        if (line) resolve((JSON.parse(line) as { http: string }).http);
        if (out.length > 1_000_000) out = out.slice(-10_000);
      };
      started.stdout!.on('data', onData);
      started.stderr!.on('data', onData);
      started.once('exit', (code) => reject(new Error(`e2a-server serve exited (${code}) before listening:\n${out.slice(-4000)}`)));
    });
    return {
      child: started,
      httpUrl,
      api: benchApi(httpUrl, key),
      async stop() {
        if (started.exitCode === null && started.signalCode === null) {
          const exited = new Promise((r) => started.once('exit', r));
          started.kill('SIGTERM');
          await exited;
        }
        await cleanup();
      },
    };
  } catch (err) {
    child?.kill('SIGKILL');
    await cleanup();
    throw err;
  }
}
