/**
 * What the scenario CLIs (inbound-cli.ts, delivery-cli.ts, outbound-cli.ts, storage-cli.ts) share: the options
 * every scenario takes, integer options, the machine a run was made on, the result file, and a fresh
 * process per engine.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import type { Engine } from './bench-database.js';

export type Scenario = 'inbound' | 'delivery' | 'outbound' | 'storage' | 'pathological' | 'startup' | 'dashboard' | 'lists' | 'listeners' | 'multicore' | 'search' | 'export';

export const RESULTS_DIR = join(import.meta.dirname, 'results');
const RUN_SCRIPT = join(import.meta.dirname, 'run.ts');

/** node:util parseArgs options every scenario takes. `--result-file` is internal (see runEngines). */
export const COMMON_OPTIONS = {
  engine: { type: 'string' },
  profile: { type: 'boolean', default: false },
  'result-file': { type: 'string' },
  help: { type: 'boolean', short: 'h', default: false },
} as const;

/** A switch option: `on` or `off`, anything else a usage error naming the option. */
export function onOff(name: string, value: string | undefined): 'on' | 'off' {
  if (value === 'on' || value === 'off') return value;
  throw new Error(`--${name} takes on or off, not ${value}`);
}

export function int(name: string, text: string, min: number): number {
  const n = Number(text);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, not ${text}`);
  return n;
}

/** A comma-separated list (`--rates 50,200`). */
export function ints(name: string, text: string, min: number): number[] {
  return text.split(',').map((t) => int(name, t.trim(), min));
}

/** Creates bench/results/ and returns the run's time as it appears in file names there. */
export function startResults(): string {
  mkdirSync(RESULTS_DIR, { recursive: true });
  return new Date().toISOString().replace(/[:.]/g, '-');
}

export function machineInfo(): { cores: number; cpu: string; memoryGiB: number; node: string; platform: string } {
  return {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
}

/** Writes bench/results/<scenario>-<stamp>.json and says where. */
export function saveResults(scenario: Scenario, stamp: string, machine: object, results: unknown[]): void {
  const file = join(RESULTS_DIR, `${scenario}-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify({ scenario, machine, at: new Date().toISOString(), results }, null, 2)}\n`);
  process.stdout.write(`\nfull results: ${file}\n`);
}

/**
 * Runs `run` for each engine: in this process when there is one and the open-file limit is enough,
 * otherwise each in a fresh process (`run.ts <scenario> … --engine E --result-file F`, under
 * `ulimit -n raiseFdsTo` when given). PGlite's WebAssembly heap is not given back after close, and
 * one engine's RSS and JIT state must not become the next one's baseline.
 */
export async function runEngines<R>(
  scenario: Scenario,
  argv: string[],
  engines: Engine[],
  run: (engine: Engine) => Promise<R>,
  raiseFdsTo: number | null = null,
  /** Always a fresh process, also for one engine (runs that are compared with each other). */
  fresh = false,
): Promise<R[]> {
  const results: R[] = [];
  for (const engine of engines) {
    process.stderr.write(`bench ${scenario}: ${engine} …\n`);
    results.push(engines.length === 1 && !raiseFdsTo && !fresh ? await run(engine) : await runEngineInChild<R>(scenario, engine, argv, raiseFdsTo));
  }
  return results;
}

async function runEngineInChild<R>(scenario: Scenario, engine: Engine, argv: string[], raiseFdsTo: number | null): Promise<R> {
  const dir = mkdtempSync(join(tmpdir(), 'e2a-bench-run-'));
  const file = join(dir, 'result.json');
  try {
    const args = [scenario, ...argv.filter((a, i) => a !== '--engine' && argv[i - 1] !== '--engine' && !a.startsWith('--engine=')), '--engine', engine, '--result-file', file];
    const node = [process.execPath, '--conditions=e2a-source', '--import', 'tsx', RUN_SCRIPT, ...args];
    const child = raiseFdsTo
      ? spawn('sh', ['-c', `ulimit -n ${raiseFdsTo} || exit 97; exec "$@"`, 'sh', ...node], { stdio: 'inherit' })
      : spawn(node[0]!, node.slice(1), { stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    if (code === 97) throw new Error(`could not raise the open-file limit to ${raiseFdsTo} (ulimit -Hn is lower); use fewer --listeners or raise the hard limit`);
    if (code !== 0) throw new Error(`bench ${scenario} --engine ${engine} exited with ${code}`);
    return JSON.parse(readFileSync(file, 'utf8')) as R;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
