/**
 * `npm run bench -- delivery [options]` (dispatched from run.ts): parses options, runs each engine
 * (in a fresh process when there are several, or when the open-file limit must be raised for the
 * listeners), prints the tables and writes bench/results/delivery-<time>.json.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, int, ints, machineInfo, RESULTS_DIR, runEngines, saveResults, startResults } from './bench-cli.js';
import { resolveEngines, type Engine } from './bench-database.js';
import { machineBusyCores } from './cpu-usage.js';
import { openFileLimit, runDelivery } from './delivery.js';
import type { DeliveryOptions, DeliveryResult } from './delivery-results.js';
import { fixed, formatTable } from './table.js';

export const DELIVERY_USAGE = `usage: npm run bench -- delivery [--engine pglite|postgres|both] [--rates 50,200] [--seconds 20]
                               [--warmup 3] [--size 4096] [--channels webhook,ws] [--backlog 10000]
                               [--backlog-webhooks 4] [--webhook-concurrency N] [--listeners 5000]
                               [--listener-agents 100] [--profile] [--anchor]
  --anchor: after the drain, re-post its requests from a child with a bare keep-alive client
            (undici Pool) and with the gateway's poster alone; prints CPU per post and the ratios`;

export async function deliveryMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      rates: { type: 'string', default: '50,200' },
      seconds: { type: 'string', default: '20' },
      warmup: { type: 'string', default: '3' },
      size: { type: 'string', default: '4096' },
      channels: { type: 'string', default: 'webhook,ws' },
      backlog: { type: 'string', default: '10000' },
      'backlog-webhooks': { type: 'string', default: '4' },
      'webhook-concurrency': { type: 'string' },
      listeners: { type: 'string', default: '5000' },
      'listener-agents': { type: 'string', default: '100' },
      anchor: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${DELIVERY_USAGE}\n`);
    return 0;
  }
  const channels = values.channels.split(',').map((c) => c.trim());
  for (const c of channels) if (c !== 'webhook' && c !== 'ws') throw new Error(`--channels: webhook and/or ws, not ${c}`);
  const stamp = startResults();
  const engines = resolveEngines(values.engine);
  const options: Omit<DeliveryOptions, 'engine' | 'profilePrefix'> = {
    rates: ints('rates', values.rates, 1),
    seconds: int('seconds', values.seconds, 1),
    warmupSeconds: int('warmup', values.warmup, 0),
    sizeBytes: int('size', values.size, 512),
    backlog: int('backlog', values.backlog, 0),
    backlogWebhooks: int('backlog-webhooks', values['backlog-webhooks'], 1),
    webhookConcurrency: values['webhook-concurrency'] ? int('webhook-concurrency', values['webhook-concurrency'], 1) : null,
    listeners: int('listeners', values.listeners, 0),
    listenerAgents: int('listener-agents', values['listener-agents'], 1),
    channels: channels as DeliveryOptions['channels'],
    anchor: values.anchor,
  };
  const run = (engine: Engine): Promise<DeliveryResult> =>
    runDelivery({ engine, ...options, profilePrefix: values.profile ? join(RESULTS_DIR, `delivery-${engine}-${stamp}`) : null });

  if (values['result-file']) {
    writeFileSync(values['result-file'], JSON.stringify(await run(engines[0]!)));
    return 0;
  }
  const busyBefore = (await machineBusyCores()) ?? 0;
  // The gateway and its load child each hold a descriptor per listener.
  const needFds = options.listeners * 2 + 500;
  const results = await runEngines('delivery', argv, engines, run, openFileLimit() < needFds ? needFds : null);
  const machine = {
    ...machineInfo(),
    busyCoresBefore: Math.round(busyBefore * 100) / 100,
    loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    // The gateway under test is the working tree: which commit, and whether api/relay/sdk-ts differ.
    commit: git(['rev-parse', '--short', 'HEAD']),
    uncommittedGatewayFiles: git(['status', '--porcelain', '--', 'api', 'relay', 'sdk-ts']).split('\n').filter(Boolean).length,
  };
  printDelivery(results, machine);
  saveResults('delivery', stamp, machine, results);
  return 0;
}

function git(args: string[]): string {
  return spawnSync('git', args, { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' }).stdout?.trim() ?? '';
}

/** CPU ms per message/delivery: gateway · PostgreSQL · load child ("–" for PostgreSQL on PGlite). */
function perUnit(gateway: number, postgres: number | null, child: number, n: number): string {
  const d = Math.max(1, n);
  return `${fixed(gateway / d, 2)} · ${fixed(postgres === null ? null : postgres / d, 2)} · ${fixed(child / d, 2)}`;
}

function printDelivery(
  results: DeliveryResult[],
  machine: { cores: number; cpu: string; node: string; busyCoresBefore: number; loadavgAtEnd: number[]; commit: string; uncommittedGatewayFiles: number },
): void {
  const out: string[] = [];
  out.push(`machine: ${machine.cores} cores (${machine.cpu}), node ${machine.node}; busy cores before: ${machine.busyCoresBefore}`);
  out.push(`gateway: commit ${machine.commit}${machine.uncommittedGatewayFiles ? ` + ${machine.uncommittedGatewayFiles} uncommitted file(s) under api/ relay/ sdk-ts/` : ''}`);
  if (machine.busyCoresBefore > 0.25) out.push('WARNING: the machine was busy before the run; figures are lower than on an idle machine');
  const lat = results.flatMap((r) => r.latency.map((l) => ({ engine: r.engine, ...l })));
  if (lat.length) {
    out.push('', 'SMTP 250 → delivery (ms, one clock: the load child stamps both)');
    out.push(
      formatTable(
        ['engine', 'channel', 'rate msg/s', 'n', 'p50', 'p90', 'p99', 'max', 'missing', '250 p50', 'CPU ms/msg gw·pg·load', 'busy cores', 'busy before'],
        lat.map((l) => [
          l.engine,
          l.channel,
          `${l.rate} (${fixed(l.achievedRate)})`,
          String(l.deliveryMs.count),
          fixed(l.deliveryMs.p50),
          fixed(l.deliveryMs.p90),
          fixed(l.deliveryMs.p99),
          fixed(l.deliveryMs.max),
          String(l.missing),
          fixed(l.smtpMs.p50),
          perUnit(l.cpu.processMs, l.cpu.postgresCpuMs, l.cpu.childCpuMs, l.acked),
          fixed(l.cpu.machineBusyCores, 2),
          fixed(l.busyCoresBefore, 2),
        ]),
      ),
    );
    const sig = lat.filter((l) => l.signatures.failed > 0);
    for (const l of sig) out.push(`  ${l.engine} ${l.channel}@${l.rate}: ${l.signatures.failed}/${l.signatures.checked} webhook signatures FAILED: ${l.signatures.lastError}`);
  }
  const tp = results.filter((r) => r.throughput);
  if (tp.length) {
    out.push('', 'Webhook throughput: a backlog drained to a local receiver');
    out.push(
      formatTable(
        ['engine', 'queued', 'webhooks', 'concurrency', 'deliveries/s', 'received', 'succeeded', 'connections', 'CPU ms/delivery gw·pg·load', 'busy cores', 'busy before'],
        tp.map(({ engine, throughput: t }) => [
          engine,
          String(t!.queued),
          String(t!.webhooks),
          String(t!.concurrency),
          fixed(t!.deliveriesPerSecond, 0),
          String(t!.received),
          String(t!.succeededInDb),
          String(t!.connectionsOpened),
          perUnit(t!.cpu.processMs, t!.cpu.postgresCpuMs, t!.cpu.childCpuMs, t!.received),
          fixed(t!.cpu.machineBusyCores, 2),
          fixed(t!.busyCoresBefore, 2),
        ]),
      ),
    );
  }
  const an = results.filter((r) => r.anchor);
  if (an.length) {
    out.push('', 'Keep-alive anchor: the drain\'s requests re-posted from a child, same receiver and concurrency (CPU ms per post)');
    out.push(
      formatTable(
        ['engine', 'posts', 'bare keep-alive', 'conns', "gateway's poster alone", 'conns', 'gateway drain /delivery', 'gateway ÷ bare', 'poster ÷ bare', 'busy before'],
        an.map(({ engine, anchor: a, throughput: t }) => [
          engine,
          String(a!.bare.posts),
          fixed(a!.bare.cpuMs / Math.max(1, a!.bare.posts), 3),
          String(a!.bare.connections),
          fixed(a!.poster.cpuMs / Math.max(1, a!.poster.posts), 3),
          String(a!.poster.connections),
          fixed(t!.cpu.gatewayMsPerDelivery, 3),
          `${fixed(a!.gatewayRatio, 2)}×`,
          `${fixed(a!.posterRatio, 2)}×`,
          fixed(a!.busyCoresBefore, 2),
        ]),
      ),
    );
    for (const { engine, anchor: a } of an) for (const r of [a!.bare, a!.poster]) if (r.failed) out.push(`  ${engine} anchor ${r.mode}: ${r.failed}/${r.posts} posts not answered 2xx`);
  }
  const ls = results.filter((r) => r.listeners);
  if (ls.length) {
    out.push('', 'Idle WebSocket listeners: gateway RSS (after forced GCs)');
    out.push(
      formatTable(
        ['engine', 'listeners', 'agents', 'connect s', 'RSS before MiB', 'RSS after MiB', 'per listener KiB', 'peak MiB', 'heap before→after MiB'],
        ls.map(({ engine, listeners: l }) => [
          engine,
          `${l!.ready}/${l!.requested}`,
          String(l!.agents),
          fixed(l!.connectMs / 1000, 1),
          fixed(l!.rssBeforeMiB),
          fixed(l!.rssAfterMiB),
          fixed(l!.perListenerKiB),
          fixed(l!.peakSampledMiB),
          `${fixed(l!.heapBeforeMiB)}→${fixed(l!.heapAfterMiB)}`,
        ]),
      ),
    );
  }
  for (const r of results) {
    const phases = [...r.latency.map((l) => ({ name: `${l.channel}@${l.rate}`, n: l.acked, sql: l.sql })), ...(r.throughput ? [{ name: 'drain', n: r.throughput.received, sql: r.throughput.sql }] : [])];
    for (const { name, n, sql } of phases) {
      if (!sql?.length) continue;
      const total = sql.reduce((a, s) => a + s.count, 0);
      out.push('', `SQL ${r.engine} ${name}: ${fixed(total / Math.max(1, n), 2)} statements per ${name === 'drain' ? 'delivery' : 'message'} (count, per unit, mean round trip ms)`);
      for (const s of sql.slice(0, 10)) out.push(`  ${String(s.count).padStart(7)}  ${fixed(s.count / Math.max(1, n), 2).padStart(5)}  ${fixed(s.meanMs, 2).padStart(6)}  ${s.statement}`);
    }
  }
  for (const r of results) {
    const profiles = [...r.latency.map((l) => ({ name: `${l.channel}@${l.rate}`, p: l.profile })), { name: 'drain', p: r.throughput?.profile ?? null }];
    for (const { name, p } of profiles) {
      if (!p) continue;
      out.push('', `profile ${r.engine} ${name}: ${p.totalMs} ms CPU (${p.file})`);
      for (const b of p.buckets.slice(0, 12)) out.push(`  ${(b.share * 100).toFixed(1).padStart(5)} %  ${fixed(b.ms).padStart(8)} ms  ${b.bucket}`);
      out.push('  top functions (self time):');
      for (const t of p.top.slice(0, 12)) out.push(`    ${fixed(t.ms).padStart(8)} ms  ${t.fn}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
