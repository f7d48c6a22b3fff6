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
import { ANCHOR_LABEL } from './anchors.js';
import { runInbound, type InboundResult } from './inbound.js';
import { MiB } from './rss-sampler.js';
import { fixed, formatTable } from './table.js';

export const INBOUND_USAGE = `usage: npm run bench -- inbound [--engine pglite|postgres|both] [--messages N] [--concurrency C]
                              [--size BYTES] [--large-mib M] [--large-concurrency L] [--per-connection K] [--warmup W] [--stages S]
                              [--smtp-rate-limits on|off] [--embedded-fsync on|off] [--anchors] [--profile]`;

export async function inboundMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      messages: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '16' },
      size: { type: 'string', default: '4096' },
      'large-mib': { type: 'string', default: '20' },
      'large-concurrency': { type: 'string', default: '1' },
      'per-connection': { type: 'string', default: '20' },
      warmup: { type: 'string', default: '200' },
      stages: { type: 'string', default: '200' },
      'smtp-rate-limits': { type: 'string', default: 'on' },
      'embedded-fsync': { type: 'string', default: 'on' },
      anchors: { type: 'boolean', default: false },
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
    largeConcurrency: int('large-concurrency', values['large-concurrency'], 1),
    perConnection: int('per-connection', values['per-connection'], 1),
    warmup: int('warmup', values.warmup, 0),
    stageSamples: int('stages', values.stages, 0),
    smtpRateLimits: onOff('smtp-rate-limits', values['smtp-rate-limits']),
    embeddedFsync: onOff('embedded-fsync', values['embedded-fsync']),
    anchors: values.anchors,
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
  printAnchors(results, out);
  const large = results.flatMap((r) => [r.large, r.largeConcurrent].flatMap((l) => (l ? [{ engine: r.engine, ...l }] : [])));
  if (large.length) {
    out();
    out('large messages (base64 attachment), each on a fresh connection, all at once; growth = peak RSS (the kernel\'s VmHWM, reset just before) − RSS before (after a full GC); size = all the messages\' bytes');
    table(
      ['engine', 'messages', 'wire MiB each', 'reply', 'slowest ms', 'RSS before MiB', 'peak sampled MiB', 'peak kernel MiB', 'growth MiB', 'growth / size', 'maxRSS after MiB'],
      large.map((l) => [
        l.engine,
        String(l.messages),
        fixed(l.wireBytes / MiB, 1),
        l.code,
        fixed(l.latencyMs, 0),
        fixed(l.rssBeforeMiB, 0),
        fixed(l.peakSampledMiB, 0),
        l.peakKernelMiB === null ? '–' : fixed(l.peakKernelMiB, 0),
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
    if (!r.sql) continue;
    const acked = Math.max(1, r.load.acked);
    out();
    out(`${r.engine}: statements per message during the load phase (${fixed(r.sql.reduce((n, s) => n + s.count, 0) / acked, 2)} in all; mean / max ms each)`);
    for (const st of r.sql.slice(0, 10)) out(`  ${(st.count / acked).toFixed(2).padStart(5)}  ${st.meanMs.toFixed(2).padStart(6)} / ${st.maxMs.toFixed(1).padStart(6)} ms  ${st.statement}`);
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

/**
 * The gateway beside its anchors, each engine's run with the anchors measured in it: CPU per message
 * as a ratio to smtp-server + mailauth's, the figure that survives a slow or busy machine.
 */
function printAnchors(results: InboundResult[], out: (line?: string) => void): void {
  const withAnchors = results.filter((r) => r.anchors);
  if (!withAnchors.length) return;
  out();
  out("anchors: the same messages and generator; CPU = the server process's user + system time per message; ratio = CPU / smtp-server + mailauth's in the same run");
  const rows: string[][] = [];
  for (const r of withAnchors) {
    const mailauth = r.anchors!.find((a) => a.kind === 'mailauth')?.cpuMsPerMessage ?? Number.NaN;
    const row = (server: string, msgs: number, cpu: number, p99: number): string[] => [r.engine, server, fixed(msgs, 0), fixed(cpu, 2), `${fixed(cpu / mailauth, 2)}×`, fixed(p99)];
    for (const a of r.anchors!) rows.push(row(ANCHOR_LABEL[a.kind], a.messagesPerSecond, a.cpuMsPerMessage, a.latencyMs.p99));
    rows.push(row(`e2a (${r.engine})`, r.load.messagesPerSecond, r.load.cpu.gatewayMsPerMessage, r.load.latencyMs.p99));
  }
  out(formatTable(['run', 'server', 'msg/s', 'CPU ms/msg', 'ratio to mailauth', 'p99 DATA→250 ms'], rows));
  for (const r of withAnchors) {
    for (const a of r.anchors!) {
      if (a.failures.length) out(`  ${r.engine} ${ANCHOR_LABEL[a.kind]} failures: ${a.failures.slice(0, 3).join(' | ')}`);
      const v = a.verdicts;
      // A verification that fails early costs less than one that passes: say when the anchor did not do the whole work.
      if (a.kind === 'mailauth' && (v.dkimPass < v.messages || v.spfPass < v.messages || v.dmarcPass < v.messages)) {
        out(`  WARNING: ${r.engine} mailauth anchor passed only DKIM ${v.dkimPass}, SPF ${v.spfPass}, DMARC ${v.dmarcPass} of ${v.messages} messages`);
      }
    }
  }
}
