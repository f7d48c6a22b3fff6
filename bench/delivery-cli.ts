/**
 * `npm run bench -- delivery [options]` (dispatched from run.ts): parses options, runs each engine
 * (in a fresh process when there are several, or when the open-file limit must be raised for the
 * listeners), prints the tables and writes bench/results/delivery-<time>.json.
 */
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { resolveEngines, type Engine } from './bench-database.js';
import { cpuSince, markCpu } from './cpu-usage.js';
import { openFileLimit, runDelivery, type DeliveryOptions, type DeliveryResult } from './delivery.js';

export const DELIVERY_USAGE = `usage: npm run bench -- delivery [--engine pglite|postgres|both] [--rates 50,200] [--seconds 20]
                               [--warmup 3] [--size 4096] [--channels webhook,ws] [--backlog 10000]
                               [--backlog-webhooks 4] [--webhook-concurrency N] [--listeners 5000]
                               [--listener-agents 100] [--profile]`;

const RESULTS_DIR = join(import.meta.dirname, 'results');
const RUN_SCRIPT = join(import.meta.dirname, 'run.ts');

export async function deliveryMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    allowPositionals: false,
    options: {
      engine: { type: 'string' },
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
      profile: { type: 'boolean', default: false },
      'result-file': { type: 'string' },
      help: { type: 'boolean', short: 'h', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${DELIVERY_USAGE}\n`);
    return 0;
  }
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, not ${text}`);
    return n;
  };
  const rates = values.rates.split(',').map((r) => int('rates', r.trim(), 1));
  const channels = values.channels.split(',').map((c) => c.trim());
  for (const c of channels) if (c !== 'webhook' && c !== 'ws') throw new Error(`--channels: webhook and/or ws, not ${c}`);
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const engines = resolveEngines(values.engine);
  const options = (engine: Engine): DeliveryOptions => ({
    engine,
    rates,
    seconds: int('seconds', values.seconds, 1),
    warmupSeconds: int('warmup', values.warmup, 0),
    sizeBytes: int('size', values.size, 512),
    backlog: int('backlog', values.backlog, 0),
    backlogWebhooks: int('backlog-webhooks', values['backlog-webhooks'], 1),
    webhookConcurrency: values['webhook-concurrency'] ? int('webhook-concurrency', values['webhook-concurrency'], 1) : null,
    listeners: int('listeners', values.listeners, 0),
    listenerAgents: int('listener-agents', values['listener-agents'], 1),
    channels: channels as DeliveryOptions['channels'],
    profilePrefix: values.profile ? join(RESULTS_DIR, `delivery-${engine}-${stamp}`) : null,
  });

  if (values['result-file']) {
    writeFileSync(values['result-file'], JSON.stringify(await runDelivery(options(engines[0]!))));
    return 0;
  }
  const idleMark = markCpu();
  await new Promise((r) => setTimeout(r, 1000));
  const busyBefore = cpuSince(idleMark).machineBusyCores ?? 0;
  const needFds = options(engines[0]!).listeners * 2 + 500;
  const raiseTo = openFileLimit() < needFds ? needFds : null;
  const results: DeliveryResult[] = [];
  for (const engine of engines) {
    process.stderr.write(`bench delivery: ${engine} …\n`);
    results.push(engines.length === 1 && !raiseTo ? await runDelivery(options(engine)) : await runEngineInChild(engine, argv, raiseTo));
  }
  const machine = {
    cores: availableParallelism(),
    cpu: cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(totalmem() / 1024 ** 3),
    node: process.version,
    platform: `${process.platform}-${process.arch}`,
    busyCoresBefore: Math.round(busyBefore * 100) / 100,
    loadavgAtEnd: loadavg().map((x) => Math.round(x * 100) / 100),
    // The gateway under test is the working tree: which commit, and whether api/relay/sdk-ts differ.
    commit: git(['rev-parse', '--short', 'HEAD']),
    uncommittedGatewayFiles: git(['status', '--porcelain', '--', 'api', 'relay', 'sdk-ts']).split('\n').filter(Boolean).length,
  };
  printDelivery(results, machine);
  const file = join(RESULTS_DIR, `delivery-${stamp}.json`);
  writeFileSync(file, `${JSON.stringify({ scenario: 'delivery', machine, at: new Date().toISOString(), results }, null, 2)}\n`);
  process.stdout.write(`\nfull results: ${file}\n`);
  return 0;
}

function git(args: string[]): string {
  return spawnSync('git', args, { cwd: join(import.meta.dirname, '..'), encoding: 'utf8' }).stdout?.trim() ?? '';
}

/** A fresh process per engine (PGlite's heap is not given back), with `ulimit -n` raised if needed. */
async function runEngineInChild(engine: Engine, argv: string[], raiseFdsTo: number | null): Promise<DeliveryResult> {
  const dir = mkdtempSync(join(tmpdir(), 'e2a-bench-run-'));
  const file = join(dir, 'result.json');
  try {
    const args = ['delivery', ...argv.filter((a, i) => a !== '--engine' && argv[i - 1] !== '--engine' && !a.startsWith('--engine=')), '--engine', engine, '--result-file', file];
    const node = [process.execPath, '--import', 'tsx', RUN_SCRIPT, ...args];
    const child = raiseFdsTo
      ? spawn('sh', ['-c', `ulimit -n ${raiseFdsTo} || exit 97; exec "$@"`, 'sh', ...node], { stdio: 'inherit' })
      : spawn(node[0]!, node.slice(1), { stdio: 'inherit' });
    const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
    if (code === 97) throw new Error(`could not raise the open-file limit to ${raiseFdsTo} (ulimit -Hn is lower); use fewer --listeners or raise the hard limit`);
    if (code !== 0) throw new Error(`bench delivery --engine ${engine} exited with ${code}`);
    return JSON.parse(readFileSync(file, 'utf8')) as DeliveryResult;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const f = (n: number, digits = 1) => (Number.isFinite(n) ? n.toFixed(digits) : '—');

/** CPU ms per message/delivery: gateway · PostgreSQL · load child ("–" for PostgreSQL on PGlite). */
function perUnit(gateway: number, postgres: number | null, child: number, n: number): string {
  const d = Math.max(1, n);
  return `${f(gateway / d, 2)} · ${postgres === null ? '–' : f(postgres / d, 2)} · ${f(child / d, 2)}`;
}

function table(head: string[], rows: string[][]): string {
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
  return [line(head), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.map(line)].join('\n');
}

export function printDelivery(
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
      table(
        ['engine', 'channel', 'rate msg/s', 'n', 'p50', 'p90', 'p99', 'max', 'missing', '250 p50', 'CPU ms/msg gw·pg·load', 'busy cores', 'busy before'],
        lat.map((l) => [
          l.engine,
          l.channel,
          `${l.rate} (${f(l.achievedRate)})`,
          String(l.deliveryMs.count),
          f(l.deliveryMs.p50),
          f(l.deliveryMs.p90),
          f(l.deliveryMs.p99),
          f(l.deliveryMs.max),
          String(l.missing),
          f(l.smtpMs.p50),
          perUnit(l.cpu.processMs, l.cpu.postgresCpuMs, l.cpu.childCpuMs, l.acked),
          f(l.cpu.machineBusyCores ?? Number.NaN, 2),
          f(l.busyCoresBefore, 2),
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
      table(
        ['engine', 'queued', 'webhooks', 'concurrency', 'deliveries/s', 'received', 'succeeded', 'CPU ms/delivery gw·pg·load', 'busy cores', 'busy before'],
        tp.map(({ engine, throughput: t }) => [
          engine,
          String(t!.queued),
          String(t!.webhooks),
          String(t!.concurrency),
          f(t!.deliveriesPerSecond, 0),
          String(t!.received),
          String(t!.succeededInDb),
          perUnit(t!.cpu.processMs, t!.cpu.postgresCpuMs, t!.cpu.childCpuMs, t!.received),
          f(t!.cpu.machineBusyCores ?? Number.NaN, 2),
          f(t!.busyCoresBefore, 2),
        ]),
      ),
    );
  }
  const ls = results.filter((r) => r.listeners);
  if (ls.length) {
    out.push('', 'Idle WebSocket listeners: gateway RSS (after forced GCs)');
    out.push(
      table(
        ['engine', 'listeners', 'agents', 'connect s', 'RSS before MiB', 'RSS after MiB', 'per listener KiB', 'peak MiB', 'heap before→after MiB'],
        ls.map(({ engine, listeners: l }) => [
          engine,
          `${l!.ready}/${l!.requested}`,
          String(l!.agents),
          f(l!.connectMs / 1000, 1),
          f(l!.rssBeforeMiB),
          f(l!.rssAfterMiB),
          f(l!.perListenerKiB),
          f(l!.peakSampledMiB),
          `${f(l!.heapBeforeMiB)}→${f(l!.heapAfterMiB)}`,
        ]),
      ),
    );
  }
  for (const r of results) {
    const phases = [...r.latency.map((l) => ({ name: `${l.channel}@${l.rate}`, n: l.acked, sql: l.sql })), ...(r.throughput ? [{ name: 'drain', n: r.throughput.received, sql: r.throughput.sql }] : [])];
    for (const { name, n, sql } of phases) {
      if (!sql?.length) continue;
      const total = sql.reduce((a, s) => a + s.count, 0);
      out.push('', `SQL ${r.engine} ${name}: ${f(total / Math.max(1, n), 2)} statements per ${name === 'drain' ? 'delivery' : 'message'} (count, per unit, mean round trip ms)`);
      for (const s of sql.slice(0, 10)) out.push(`  ${String(s.count).padStart(7)}  ${f(s.count / Math.max(1, n), 2).padStart(5)}  ${f(s.meanMs, 2).padStart(6)}  ${s.statement}`);
    }
  }
  for (const r of results) {
    const profiles = [...r.latency.map((l) => ({ name: `${l.channel}@${l.rate}`, p: l.profile })), { name: 'drain', p: r.throughput?.profile ?? null }];
    for (const { name, p } of profiles) {
      if (!p) continue;
      out.push('', `profile ${r.engine} ${name}: ${p.totalMs} ms CPU (${p.file})`);
      for (const b of p.buckets.slice(0, 12)) out.push(`  ${(b.share * 100).toFixed(1).padStart(5)} %  ${f(b.ms).padStart(8)} ms  ${b.bucket}`);
      out.push('  top functions (self time):');
      for (const t of p.top.slice(0, 12)) out.push(`    ${f(t.ms).padStart(8)} ms  ${t.fn}`);
    }
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
