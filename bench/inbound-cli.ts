/**
 * `npm run bench -- inbound [options]` (dispatched from run.ts): parses options, runs each engine,
 * prints one table per concern, engines side by side, and writes bench/results/inbound-<time>.json.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, int, machineInfo, onOff, RESULTS_DIR, runEngines, saveResults, startResults } from './bench-cli.js';
import { resolveEngines, type Engine } from './bench-database.js';
import { machineBusyCores } from './cpu-usage.js';
import { runInbound, type InboundResult } from './inbound.js';
import { MiB } from './rss-sampler.js';
import { fixed, formatTable } from './table.js';

export const INBOUND_USAGE = `usage: npm run bench -- inbound [--engine pglite|postgres|both] [--messages N] [--concurrency C]
                              [--size BYTES] [--large-mib M] [--per-connection K] [--warmup W] [--stages S]
                              [--smtp-rate-limits on|off] [--embedded-fsync on|off] [--profile]`;

export async function inboundMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      messages: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '16' },
      size: { type: 'string', default: '4096' },
      'large-mib': { type: 'string', default: '20' },
      'per-connection': { type: 'string', default: '20' },
      warmup: { type: 'string', default: '200' },
      stages: { type: 'string', default: '200' },
      'smtp-rate-limits': { type: 'string', default: 'on' },
      'embedded-fsync': { type: 'string', default: 'on' },
    },
  });
  if (values.help) {
    process.stdout.write(`${INBOUND_USAGE}\n`);
    return 0;
  }
  const stamp = startResults();
  const engines = resolveEngines(values.engine);
  const options = {
    messages: int('messages', values.messages, 1),
    concurrency: int('concurrency', values.concurrency, 1),
    sizeBytes: int('size', values.size, 512),
    largeBytes: int('large-mib', values['large-mib'], 0) * MiB,
    perConnection: int('per-connection', values['per-connection'], 1),
    warmup: int('warmup', values.warmup, 0),
    stageSamples: int('stages', values.stages, 0),
    smtpRateLimits: onOff('smtp-rate-limits', values['smtp-rate-limits']),
    embeddedFsync: onOff('embedded-fsync', values['embedded-fsync']),
  };
  const run = (engine: Engine): Promise<InboundResult> =>
    runInbound({ engine, ...options, profileFile: values.profile ? join(RESULTS_DIR, `inbound-${engine}-${stamp}.cpuprofile`) : null });
  if (values['result-file']) {
    writeFileSync(values['result-file'], JSON.stringify(await run(engines[0]!)));
    return 0;
  }
  // Figures from a machine something else is loading are not figures: say so up front. (Not the
  // load average: it still remembers the previous bench run for minutes.)
  const busyBefore = (await machineBusyCores()) ?? 0;
  const results = await runEngines('inbound', argv, engines, run);
  const machine = { ...machineInfo(), busyCoresBefore: Math.round(busyBefore * 100) / 100 };
  printInbound(results, machine);
  saveResults('inbound', stamp, machine, results);
  return 0;
}

function printInbound(results: InboundResult[], machine: { cores: number; cpu: string; node: string; busyCoresBefore: number }): void {
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);
  const table = (head: string[], rows: string[][]): void => out(formatTable(head, rows));
  const o = results[0]?.options;
  out();
  out(`inbound: ${o?.messages} messages of ~${Math.round(results[0]?.load.averageWireBytes ?? 0)} B (DKIM rsa-sha256 2048, SPF, DMARC), ` +
    `${o?.concurrency} connections, ${o?.perConnection} per connection, SMTP rate limits ${o?.smtpRateLimits}, PGlite fsync ${o?.embeddedFsync}; ${machine.cores} cores, ${machine.cpu}, node ${machine.node}`);
  if (machine.busyCoresBefore > 0.25) {
    out(`WARNING: ${machine.busyCoresBefore} of ${machine.cores} cores were busy with other work in the second before the run; figures are skewed`);
  }
  table(
    ['engine', 'msg/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'acked', 'stored', 'gw CPU ms/msg', 'machine busy cores', 'peak RSS MiB', 'maxRSS MiB'],
    results.map((r) => [
      r.engine,
      fixed(r.load.messagesPerSecond, 0),
      fixed(r.load.latencyMs.p50),
      fixed(r.load.latencyMs.p90),
      fixed(r.load.latencyMs.p99),
      fixed(r.load.latencyMs.max),
      String(r.load.acked),
      String(r.load.stored),
      fixed(r.load.cpu.gatewayMsPerMessage, 2),
      `${fixed(r.load.cpu.machineBusyCores, 2)}/${r.load.cpu.cores}`,
      fixed(r.load.rss.peakSampledMiB, 0),
      fixed(r.load.rss.maxRssMiB, 0),
    ]),
  );
  for (const r of results) if (r.load.failures.length) out(`  ${r.engine} failures: ${r.load.failures.slice(0, 3).join(' | ')}`);
  const large = results.flatMap((r) => (r.large ? [{ engine: r.engine, ...r.large }] : []));
  if (large.length) {
    out();
    out('one large message (base64 attachment) on a fresh connection; growth = peak RSS (10 ms samples) − RSS before (after a full GC)');
    table(
      ['engine', 'wire MiB', 'reply', 'latency ms', 'RSS before MiB', 'peak MiB', 'growth MiB', 'growth / size', 'maxRSS after MiB'],
      large.map((l) => [
        l.engine,
        fixed(l.wireBytes / 1024 / 1024, 1),
        l.code,
        fixed(l.latencyMs, 0),
        fixed(l.rssBeforeMiB, 0),
        fixed(l.peakSampledMiB, 0),
        fixed(l.growthMiB, 0),
        `${fixed(l.growthPerWireByte, 2)}×`,
        fixed(l.maxRssAfterMiB, 0),
      ]),
    );
  }
  const withStages = results.filter((r) => r.stages);
  if (withStages.length) {
    out();
    out(`per-message stages, serial (mean ms over ${withStages[0]!.stages!.samples} messages, nothing else running)`);
    const names = Object.keys(withStages[0]!.stages!.meanMs) as Array<keyof NonNullable<InboundResult['stages']>['meanMs']>;
    table(['engine', ...names, 'sum'], withStages.map((r) => [r.engine, ...names.map((n) => fixed(r.stages!.meanMs[n], 2)), fixed(names.reduce((a, n) => a + r.stages!.meanMs[n], 0), 2)]));
  }
  for (const r of results) {
    if (!r.profile) continue;
    out();
    out(`${r.engine}: gateway CPU during the load phase by stage, native and node-internal time charged to the calling package (${fixed(r.profile.totalMs, 0)} ms non-idle; ${r.profile.file})`);
    table(['where', 'ms', 'share'], r.profile.buckets.slice(0, 14).map((b) => [b.bucket, fixed(b.ms, 0), `${fixed(b.share * 100, 1)}%`]));
    out();
    table(['heaviest functions (self)', 'ms'], r.profile.top.slice(0, 10).map((t) => [t.fn.slice(0, 90), fixed(t.ms, 0)]));
  }
}
