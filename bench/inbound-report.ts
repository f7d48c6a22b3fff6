/** The human-readable side of `bench inbound`: one table per concern, engines side by side. */
import type { InboundResult } from './inbound.js';

export function printInbound(results: InboundResult[], machine: { cores: number; cpu: string; node: string; busyCoresBefore: number }): void {
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);
  const f = (n: number | null | undefined, digits = 1): string => (n === null || n === undefined || Number.isNaN(n) ? '-' : n.toFixed(digits));
  const o = results[0]?.options;
  out();
  out(`inbound: ${o?.messages} messages of ~${Math.round(results[0]?.load.averageWireBytes ?? 0)} B (DKIM rsa-sha256 2048, SPF, DMARC), ` +
    `${o?.concurrency} connections, ${o?.perConnection} per connection; ${machine.cores} cores, ${machine.cpu}, node ${machine.node}`);
  if (machine.busyCoresBefore > 0.25) {
    out(`WARNING: ${machine.busyCoresBefore} of ${machine.cores} cores were busy with other work in the second before the run; figures are skewed`);
  }
  table(
    ['engine', 'msg/s', 'p50 ms', 'p90 ms', 'p99 ms', 'max ms', 'acked', 'stored', 'gw CPU ms/msg', 'machine busy cores', 'peak RSS MiB', 'maxRSS MiB'],
    results.map((r) => [
      r.engine,
      f(r.load.messagesPerSecond, 0),
      f(r.load.latencyMs.p50),
      f(r.load.latencyMs.p90),
      f(r.load.latencyMs.p99),
      f(r.load.latencyMs.max),
      String(r.load.acked),
      String(r.load.stored),
      f(r.load.cpu.gatewayMsPerMessage, 2),
      `${f(r.load.cpu.machineBusyCores, 2)}/${r.load.cpu.cores}`,
      f(r.load.rss.peakSampledMiB, 0),
      f(r.load.rss.maxRssMiB, 0),
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
        f(l.wireBytes / 1024 / 1024, 1),
        l.code,
        f(l.latencyMs, 0),
        f(l.rssBeforeMiB, 0),
        f(l.peakSampledMiB, 0),
        f(l.growthMiB, 0),
        `${f(l.growthPerWireByte, 2)}×`,
        f(l.maxRssAfterMiB, 0),
      ]),
    );
  }
  const withStages = results.filter((r) => r.stages);
  if (withStages.length) {
    out();
    out(`per-message stages, serial (mean ms over ${withStages[0]!.stages!.samples} messages, nothing else running)`);
    const names = Object.keys(withStages[0]!.stages!.meanMs) as Array<keyof NonNullable<InboundResult['stages']>['meanMs']>;
    table(['engine', ...names, 'sum'], withStages.map((r) => [r.engine, ...names.map((n) => f(r.stages!.meanMs[n], 2)), f(names.reduce((a, n) => a + r.stages!.meanMs[n], 0), 2)]));
  }
  for (const r of results) {
    if (!r.profile) continue;
    out();
    out(`${r.engine}: gateway CPU during the load phase by stage, native and node-internal time charged to the calling package (${f(r.profile.totalMs, 0)} ms non-idle; ${r.profile.file})`);
    table(['where', 'ms', 'share'], r.profile.buckets.slice(0, 14).map((b) => [b.bucket, f(b.ms, 0), `${f(b.share * 100, 1)}%`]));
    table(['heaviest functions (self)', 'ms'], r.profile.top.slice(0, 10).map((t) => [t.fn.slice(0, 90), f(t.ms, 0)]));
  }
}

function table(head: string[], rows: string[][]): void {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  process.stdout.write(`${line(head)}\n${widths.map((w) => '-'.repeat(w)).join('  ')}\n`);
  for (const r of rows) process.stdout.write(`${line(r)}\n`);
}
