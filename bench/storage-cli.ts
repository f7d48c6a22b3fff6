/**
 * `npm run bench -- storage [options]` (dispatched from run.ts): one large message to many agents,
 * and how much the database grew; prints the table and writes bench/results/storage-<time>.json.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, int, machineInfo, runEngines, saveResults, startResults } from './bench-cli.js';
import { resolveEngines, type Engine } from './bench-database.js';
import { MiB } from './rss-sampler.js';
import { runStorage, type StorageResult } from './storage.js';
import { fixed, formatTable } from './table.js';

export const STORAGE_USAGE = `usage: npm run bench -- storage [--engine pglite|postgres|both] [--recipients 100] [--mib 19.4]
                              (the data directory is measured on PGlite, the default engine here)`;

export async function storageMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      recipients: { type: 'string', default: '100' },
      mib: { type: 'string', default: '19.4' },
    },
  });
  if (values.help) {
    process.stdout.write(`${STORAGE_USAGE}\n`);
    return 0;
  }
  const mib = Number(values.mib);
  if (!(mib > 0)) throw new Error(`--mib must be a positive number, not ${values.mib}`);
  const stamp = startResults();
  const engines = resolveEngines(values.engine ?? 'pglite');
  const options = { recipients: int('recipients', values.recipients, 1), messageBytes: Math.round(mib * MiB) };
  const run = (engine: Engine): Promise<StorageResult> => runStorage({ engine, ...options });
  if (values['result-file']) {
    writeFileSync(values['result-file'], JSON.stringify(await run(engines[0]!)));
    return 0;
  }
  const results = await runEngines('storage', argv, engines, run);
  const ratio = (bytes: number | null, r: StorageResult) => (bytes === null ? '–' : `${fixed(bytes / r.messageBytes, 2)}×`);
  process.stdout.write(`\nstorage: one message to ${options.recipients} agents; growth of the database it caused, and that growth / the message's size\n`);
  process.stdout.write(
    `${formatTable(
      ['engine', 'message MiB', 'copies', 'latency ms', 'data dir MiB', 'ratio', 'after CHECKPOINT MiB', 'ratio', 'tables MiB', 'ratio'],
      results.map((r) => [
        r.engine,
        fixed(r.messageBytes / MiB, 1),
        String(r.storedCopies),
        fixed(r.latencyMs, 0),
        r.dataDirBytes === null ? '–' : fixed(r.dataDirBytes / MiB, 1),
        ratio(r.dataDirBytes, r),
        r.dataDirAfterCheckpointBytes === null ? '–' : fixed(r.dataDirAfterCheckpointBytes / MiB, 1),
        ratio(r.dataDirAfterCheckpointBytes, r),
        fixed(r.tablesBytes / MiB, 1),
        ratio(r.tablesBytes, r),
      ]),
    )}\n`,
  );
  saveResults('storage', stamp, machineInfo(), results);
  return 0;
}
