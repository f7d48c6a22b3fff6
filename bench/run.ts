/**
 * `npm run bench -- <scenario> [options]`: figures, not tests. Nothing here fails on a slow result;
 * it prints a table and writes the full numbers as JSON to bench/results/ (git-ignored).
 *
 *   npm run bench -- inbound [--engine pglite|postgres|both] [--messages 2000] [--concurrency 16]
 *                            [--size 4096] [--large-mib 20] [--per-connection 20] [--stages 200]
 *                            [--warmup 200] [--profile]
 *   npm run bench -- delivery [--engine …] [--rates 50,200] [--seconds 20] [--backlog 10000]
 *                             [--listeners 5000] [--profile]   (see delivery-cli.ts)
 *   npm run bench -- outbound [--engine …] [--rates 100,200,300] [--seconds 10] [--messages 2000]
 *                             [--concurrency 32] [--warmup 200] [--profile]   (see outbound.ts)
 *
 * PostgreSQL runs create a fresh database on E2A_BENCH_DATABASE_URL (or TEST_DATABASE_URL).
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveEngines, type Engine } from './bench-database.js';
import { cpuSince, markCpu } from './cpu-usage.js';
import { deliveryMain } from './delivery-cli.js';
import { outboundMain } from './outbound.js';
import { printInbound } from './inbound-report.js';
import { runInbound, type InboundResult } from './inbound.js';
import { MiB } from './rss-sampler.js';

const USAGE = `usage: npm run bench -- inbound [--engine pglite|postgres|both] [--messages N] [--concurrency C]
                              [--size BYTES] [--large-mib M] [--per-connection K] [--warmup W] [--stages S]
                              [--profile]`;

const RESULTS_DIR = join(import.meta.dirname, 'results');

async function main(argv: string[]): Promise<number> {
  if (argv[0] === 'delivery') return deliveryMain(argv.slice(1));
  if (argv[0] === 'outbound') return outboundMain(argv.slice(1));
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      engine: { type: 'string' },
      messages: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '16' },
      size: { type: 'string', default: '4096' },
      'large-mib': { type: 'string', default: '20' },
      'per-connection': { type: 'string', default: '20' },
      warmup: { type: 'string', default: '200' },
      stages: { type: 'string', default: '200' },
      profile: { type: 'boolean', default: false },
      // Internal: run one engine and write its result here (see runEngineInChild).
      'result-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const scenario = positionals[0];
  if (values.help || !scenario) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (scenario !== 'inbound') {
    process.stderr.write(`bench: unknown scenario ${scenario} (have: inbound, delivery, outbound)\n${USAGE}\n`);
    return 2;
  }
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, not ${text}`);
    return n;
  };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const engines = resolveEngines(values.engine);
  // Figures from a machine something else is loading are not figures: say so up front. (Not the
  // load average: it still remembers the previous bench run for minutes.)
  const idleMark = markCpu();
  await new Promise((r) => setTimeout(r, 1000));
  const busyBefore = cpuSince(idleMark).machineBusyCores ?? 0;
  const runOne = (engine: Engine): Promise<InboundResult> =>
    runInbound({
      engine,
      messages: int('messages', values.messages, 1),
      concurrency: int('concurrency', values.concurrency, 1),
      sizeBytes: int('size', values.size, 512),
      largeBytes: int('large-mib', values['large-mib'], 0) * MiB,
      perConnection: int('per-connection', values['per-connection'], 1),
      warmup: int('warmup', values.warmup, 0),
      stageSamples: int('stages', values.stages, 0),
      profileFile: values.profile ? join(RESULTS_DIR, `inbound-${engine}-${stamp}.cpuprofile`) : null,
    });
  if (values['result-file']) {
    writeFileSync(values['result-file'], JSON.stringify(await runOne(engines[0]!)));
    return 0;
  }
  const results: InboundResult[] = [];
  for (const engine of engines) {
    process.stderr.write(`bench inbound: ${engine} …\n`);
    results.push(engines.length === 1 ? await runOne(engine) : await runEngineInChild(engine, argv));
  }
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    busyCoresBefore: Math.round(busyBefore * 100) / 100,
  };
  printInbound(results, machine);
  const file = join(RESULTS_DIR, `inbound-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify({ scenario, machine, at: new Date().toISOString(), results }, null, 2)}\n`);
  process.stdout.write(`\nfull results: ${file}\n`);
  return 0;
}

/**
 * With several engines each runs in a fresh process: PGlite's WebAssembly heap is not given back
 * after close, and one engine's RSS (and JIT state) must not become the next one's baseline.
 */
async function runEngineInChild(engine: Engine, argv: string[]): Promise<InboundResult> {
  const dir = mkdtempSync(join(tmpdir(), 'e2a-bench-run-'));
  const file = join(dir, 'result.json');
  try {
    const args = [...argv.filter((a, i) => a !== '--engine' && argv[i - 1] !== '--engine' && !a.startsWith('--engine=')), '--engine', engine, '--result-file', file];
    const code = await new Promise<number | null>((resolve) => {
      const child = spawn(process.execPath, ['--import', 'tsx', import.meta.filename, ...args], { stdio: 'inherit' });
      child.once('exit', (c) => resolve(c));
    });
    if (code !== 0) throw new Error(`bench inbound --engine ${engine} exited with ${code}`);
    return JSON.parse(readFileSync(file, 'utf8')) as InboundResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
