/**
 * `npm run bench -- <scenario> [options]`: figures, not tests. Nothing here fails on a slow result;
 * it prints a table and writes the full numbers as JSON to bench/results/ (git-ignored).
 *
 *   npm run bench -- inbound [--engine pglite|postgres|both] [--messages 2000] [--concurrency 16]
 *                            [--size 4096] [--large-mib 20] [--per-connection 20] [--stages 200]
 *                            [--profile]
 *
 * PostgreSQL runs create a fresh database on E2A_BENCH_DATABASE_URL (or TEST_DATABASE_URL).
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveEngines } from './bench-database.js';
import { printInbound } from './inbound-report.js';
import { runInbound, type InboundResult } from './inbound.js';
import { MiB } from './rss-sampler.js';

const USAGE = `usage: npm run bench -- inbound [--engine pglite|postgres|both] [--messages N] [--concurrency C]
                              [--size BYTES] [--large-mib M] [--per-connection K] [--stages S] [--profile]`;

const RESULTS_DIR = join(import.meta.dirname, 'results');

async function main(argv: string[]): Promise<number> {
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
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  const scenario = positionals[0];
  if (values.help || !scenario) {
    process.stdout.write(`${USAGE}\n`);
    return values.help ? 0 : 2;
  }
  if (scenario !== 'inbound') {
    process.stderr.write(`bench: unknown scenario ${scenario} (have: inbound)\n${USAGE}\n`);
    return 2;
  }
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, not ${text}`);
    return n;
  };
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const results: InboundResult[] = [];
  for (const engine of resolveEngines(values.engine)) {
    process.stderr.write(`bench inbound: ${engine} …\n`);
    results.push(
      await runInbound({
        engine,
        messages: int('messages', values.messages, 1),
        concurrency: int('concurrency', values.concurrency, 1),
        sizeBytes: int('size', values.size, 512),
        largeBytes: int('large-mib', values['large-mib'], 0) * MiB,
        perConnection: int('per-connection', values['per-connection'], 1),
        warmup: int('warmup', values.warmup, 0),
        stageSamples: int('stages', values.stages, 0),
        profileFile: values.profile ? join(RESULTS_DIR, `inbound-${engine}-${stamp}.cpuprofile`) : null,
      }),
    );
  }
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
  };
  printInbound(results, machine);
  const file = join(RESULTS_DIR, `inbound-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify({ scenario, machine, at: new Date().toISOString(), results }, null, 2)}\n`);
  process.stdout.write(`\nfull results: ${file}\n`);
  return 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`bench: ${(err as Error)?.stack ?? String(err)}\n`);
    process.exit(1);
  },
);
