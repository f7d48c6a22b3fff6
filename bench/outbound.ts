/**
 * `npm run bench -- outbound [--engine pglite|postgres|both] [--rates 100,200,300] [--seconds 10]
 *                            [--messages 2000] [--concurrency 32] [--warmup 10000] [--profile]`
 *
 * Sends through the HTTP API (POST /v1/agents/{address}/messages → 202) to a local SMTP sink
 * standing in for the upstream relay (outbound_smtp.mode upstream, pooled). Production settings
 * otherwise: 2048-bit DKIM signing, sealed storage, the default outbound worker (concurrency 16),
 * logging at info to /dev/null.
 *
 * The gateway runs in THIS process; the API client and the sink run in a child (outbound-load.ts),
 * so the gateway's CPU is its own and one clock stamps request, 202 and arrival at the sink.
 * Phases, each waiting until every accepted message reached the sink:
 *   warm-up    closed loop, not counted. 10,000 sends by default: V8 optimises the hot path in
 *              waves over the first ~5,000–10,000 sends (one wave compiled ~200 functions at once
 *              and took ~400 ms of a core), and a phase that meets one measures the JIT, not the
 *              gateway. Pass --warmup 200 to see a fresh process;
 *   rate N     open loop at N sends/s for --seconds (one phase per --rates entry);
 *   closed     --messages sends from --concurrency callers, as fast as the API answers (saturated).
 * Targets: ≥ 300 sends/s and p99 < 200 ms end to end on PostgreSQL.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus } from 'node:os';
import { join } from 'node:path';
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import { resolveEngines, type Engine } from './bench-database.js';
import { BENCH_DOMAIN, startBenchGateway, type BenchGateway } from './bench-gateway.js';
import { startProfile, type ProfileSummary } from './cpu-profile.js';
import { cpuSince, markCpu } from './cpu-usage.js';
import type { OutboundLoadCommand, OutboundLoadEvent, OutboundPhaseReport } from './outbound-load.js';
import { summarise, type LatencySummary } from './percentiles.js';
import { markPostgresCpu } from './postgres-cpu.js';
import { installSqlStats, takeSqlStats, type StatementStat } from './sql-stats.js';

const RESULTS_DIR = join(import.meta.dirname, 'results');

export interface OutboundOptions {
  rates: number[];
  seconds: number;
  messages: number;
  concurrency: number;
  warmup: number;
  /** The .cpuprofile file of a measured phase, when profiling. */
  profileFile: ((phase: string) => string) | null;
}

export interface OutboundPhase {
  phase: string;
  mode: 'open' | 'closed';
  /** open: the offered rate; closed: the callers. */
  rate: number | null;
  concurrency: number | null;
  sent: number;
  accepted: number;
  missing: number;
  failures: string[];
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  /** request → 202 */
  apiMs: LatencySummary;
  /** request (open loop: its scheduled time) → at the sink */
  endToEndMs: LatencySummary;
  /** 202 → at the sink */
  afterAcceptMs: LatencySummary;
  sendLagMs: LatencySummary | null;
  /** End to end by the second the request started in: p50 and max, so a tail can be told from a stall. */
  /** End to end by the second the request was due, with the gateway's longest event-loop delay then. */
  perSecond: Array<{ second: number; sends: number; p50: number; max: number; loopMaxMs: number | null }>;
  cpu: {
    gatewayMs: number;
    gatewayMsPerSend: number;
    postgresMsPerSend: number | null;
    childMsPerSend: number;
    machineBusyCores: number | null;
    busyCoresBefore: number | null;
  };
  /** PostgreSQL: statements the gateway ran in the phase (pg Client#query wrapped), most frequent first. */
  sql: { perSend: number; statements: StatementStat[] } | null;
  profile: ProfileSummary | null;
}

export interface OutboundResult {
  engine: Engine;
  options: OutboundOptions;
  phases: OutboundPhase[];
}

export async function runOutbound(engine: Engine, opts: OutboundOptions): Promise<OutboundResult> {
  const child = fork(join(import.meta.dirname, 'outbound-load.ts'), [], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const load = talkTo(child);
  if (engine === 'postgres') installSqlStats();
  let bench: BenchGateway | null = null;
  try {
    const ready = await load.ask({ type: 'init' });
    if (ready.type !== 'ready') throw new Error('outbound load child did not start its sink');
    // Mail to external recipients only: the sink is the upstream, reached by address.
    bench = await startBenchGateway(engine, {
      E2A_DATABASE_POOL_SIZE: '20',
      E2A_OUTBOUND_SMTP_MODE: 'upstream',
      E2A_OUTBOUND_SMTP_HOST: ready.sinkHost,
      E2A_OUTBOUND_SMTP_PORT: String(ready.sinkPort),
      E2A_OUTBOUND_SMTP_REQUIRE_TLS: 'false',
      E2A_OUTBOUND_SMTP_POOL_SIZE: '8',
      E2A_OUTBOUND_MAX_RECIPIENTS: '50',
    });
    const { gateway } = bench;
    const { apiKey } = await gateway.accounts.bootstrap('bench@example.com');
    const created = await fetch(`${gateway.httpUrl}/v1/agents`, {
      method: 'POST',
      headers: { authorization: `Bearer ${apiKey.key}`, 'content-type': 'application/json' },
      body: JSON.stringify({ local_part: 'sender', display_name: 'Bench Sender' }),
    });
    if (created.status !== 201) throw new Error(`creating the agent: HTTP ${created.status} ${await created.text()}`);
    await load.ask({ type: 'configure', url: `${gateway.httpUrl}/v1/agents/sender@${BENCH_DOMAIN}/messages`, apiKey: apiKey.key });

    const dbName = bench.postgresDatabase;
    let offset = 0;
    const phase = async (name: string, mode: 'open' | 'closed', messages: number, rateOrConcurrency: number, profileFile: string | null): Promise<OutboundPhase> => {
      // Quiet before every phase: the previous one's queue is drained, so this is the machine.
      const idle = markCpu();
      await new Promise((r) => setTimeout(r, 1000));
      const busyCoresBefore = cpuSince(idle).machineBusyCores;
      const stopProfile = profileFile ? await startProfile() : null;
      const pgCpu = markPostgresCpu(dbName);
      takeSqlStats();
      const mark = markCpu();
      const loop = sampleEventLoop();
      const report = (await load.ask({
        type: 'run',
        phase: name,
        mode,
        messages,
        concurrency: mode === 'closed' ? rateOrConcurrency : 0,
        rate: mode === 'open' ? rateOrConcurrency : 0,
        offset,
        drainMs: 60_000,
      })) as OutboundPhaseReport;
      const cpu = cpuSince(mark);
      const loopMaxMs = loop.stop();
      const postgresMs = dbName ? pgCpu() : null;
      const statements = dbName ? takeSqlStats() : null;
      const profile = stopProfile ? await stopProfile(profileFile!) : null;
      offset += messages;
      const n = Math.max(1, report.accepted);
      const delivered = report.accepted - report.missing;
      const finite = (xs: number[]) => xs.filter((x) => Number.isFinite(x));
      return {
        phase: name,
        mode,
        rate: mode === 'open' ? rateOrConcurrency : null,
        concurrency: mode === 'closed' ? rateOrConcurrency : null,
        sent: report.sent,
        accepted: report.accepted,
        missing: report.missing,
        failures: report.failures,
        acceptedPerSecond: report.accepted / (report.acceptSpanMs / 1000),
        deliveredPerSecond: delivered / (report.deliverSpanMs / 1000),
        apiMs: summarise(report.apiMs),
        endToEndMs: summarise(finite(report.endToEndMs)),
        afterAcceptMs: summarise(finite(report.afterAcceptMs)),
        sendLagMs: mode === 'open' ? summarise(report.sendLagMs) : null,
        perSecond: bySecond(report.startMs, report.endToEndMs, loopMaxMs),
        cpu: {
          gatewayMs: cpu.processMs,
          gatewayMsPerSend: cpu.processMs / n,
          postgresMsPerSend: postgresMs === null ? null : postgresMs / n,
          childMsPerSend: report.childCpuMs / n,
          machineBusyCores: cpu.machineBusyCores,
          busyCoresBefore,
        },
        sql: statements ? { perSend: statements.reduce((a, b) => a + b.count, 0) / n, statements } : null,
        profile,
      };
    };

    const phases: OutboundPhase[] = [];
    if (opts.warmup > 0) await phase('warmup', 'closed', opts.warmup, opts.concurrency, null);
    for (const rate of opts.rates) {
      process.stderr.write(`bench outbound: ${engine} open loop ${rate}/s …\n`);
      phases.push(await phase(`rate ${rate}`, 'open', Math.round(rate * opts.seconds), rate, opts.profileFile?.(`rate-${rate}`) ?? null));
    }
    if (opts.messages > 0) {
      process.stderr.write(`bench outbound: ${engine} closed loop, ${opts.concurrency} callers …\n`);
      phases.push(await phase('closed', 'closed', opts.messages, opts.concurrency, opts.profileFile?.('closed') ?? null));
    }
    load.tell({ type: 'exit' });
    return { engine, options: opts, phases };
  } finally {
    if (child.exitCode === null) child.kill();
    await bench?.close();
  }
}

function bySecond(startMs: number[], latencyMs: number[], loopMaxMs: number[]): OutboundPhase['perSecond'] {
  const buckets: number[][] = [];
  startMs.forEach((t, i) => (buckets[Math.floor(t / 1000)] ??= []).push(latencyMs[i]!));
  return [...buckets.entries()].map(([second, xs]) => {
    const s = summarise((xs ?? []).filter((x) => Number.isFinite(x)));
    return { second, sends: xs?.length ?? 0, p50: Math.round(s.p50 * 10) / 10, max: Math.round(s.max * 10) / 10, loopMaxMs: loopMaxMs[second] ?? null };
  });
}

/**
 * The gateway's longest event-loop delay in each second of a phase (seconds counted from its start,
 * as the load's are, give or take the IPC hop): a stall of the gateway's own thread shows here, one
 * elsewhere (PostgreSQL, the load process) does not.
 */
function sampleEventLoop(): { stop(): number[] } {
  const histogram = monitorEventLoopDelay({ resolution: 5 });
  histogram.enable();
  const maxima: number[] = [];
  const timer = setInterval(() => {
    maxima.push(Math.round(histogram.max / 1e5) / 10);
    histogram.reset();
  }, 1000);
  return {
    stop() {
      clearInterval(timer);
      histogram.disable();
      return maxima;
    },
  };
}

/** One request, one answer at a time over the fork IPC channel; a dead child fails the wait. */
function talkTo(child: ChildProcess): { ask(cmd: OutboundLoadCommand): Promise<OutboundLoadEvent>; tell(cmd: OutboundLoadCommand): void } {
  return {
    ask(cmd) {
      return new Promise((resolve, reject) => {
        const onExit = (code: number | null): void => reject(new Error(`outbound load child exited (code ${code})`));
        child.once('exit', onExit);
        child.once('message', (event: OutboundLoadEvent) => {
          child.off('exit', onExit);
          resolve(event);
        });
        child.send(cmd);
      });
    },
    tell(cmd) {
      child.send(cmd);
    },
  };
}

const f1 = (n: number | null | undefined): string => (n === null || n === undefined || Number.isNaN(n) ? '–' : n.toFixed(1));
const f0 = (n: number): string => (Number.isNaN(n) ? '–' : Math.round(n).toString());

function printOutbound(results: OutboundResult[]): void {
  const rows = [
    ['engine', 'phase', 'sends', 'accepted/s', 'delivered/s', 'API p50/p99 ms', 'e2e p50/p99 ms', '202→sink p50/p99', 'max e2e', 'lag p99', 'gw CPU ms/send', 'pg CPU ms/send', 'busy cores', 'before', 'SQL/send', 'missing'],
  ];
  for (const r of results) {
    for (const p of r.phases) {
      rows.push([
        r.engine,
        p.phase,
        String(p.accepted),
        f0(p.acceptedPerSecond),
        f0(p.deliveredPerSecond),
        `${f1(p.apiMs.p50)} / ${f1(p.apiMs.p99)}`,
        `${f1(p.endToEndMs.p50)} / ${f1(p.endToEndMs.p99)}`,
        `${f1(p.afterAcceptMs.p50)} / ${f1(p.afterAcceptMs.p99)}`,
        f1(p.endToEndMs.max),
        p.sendLagMs ? f1(p.sendLagMs.p99) : '–',
        f1(p.cpu.gatewayMsPerSend),
        f1(p.cpu.postgresMsPerSend),
        p.cpu.machineBusyCores === null ? '–' : p.cpu.machineBusyCores.toFixed(2),
        p.cpu.busyCoresBefore === null ? '–' : p.cpu.busyCoresBefore.toFixed(2),
        p.sql ? p.sql.perSend.toFixed(1) : '–',
        String(p.missing),
      ]);
    }
  }
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) process.stdout.write(`${row.map((cell, c) => cell.padEnd(widths[c]!)).join('  ')}\n`);
  for (const r of results) {
    for (const p of r.phases) {
      if (p.failures.length) process.stdout.write(`${r.engine} ${p.phase}: ${p.failures.length} failures, first: ${p.failures[0]}\n`);
      if (p.mode === 'open') {
        const slow = p.perSecond.filter((b) => b.max > 200);
        if (slow.length) process.stdout.write(`${r.engine} ${p.phase}: seconds with an end-to-end max over 200 ms: ${slow.map((b) => `#${b.second} (p50 ${b.p50}, max ${b.max}, gateway loop delay max ${b.loopMaxMs ?? '–'})`).join(', ')}\n`);
      }
      if (p.sql) {
        process.stdout.write(`\n${r.engine} ${p.phase}: SQL statements per accepted send (mean / max round trip):\n`);
        for (const st of p.sql.statements.slice(0, 12)) process.stdout.write(`  ${(st.count / p.accepted).toFixed(2).padStart(5)}  ${st.meanMs.toFixed(2).padStart(6)} / ${st.maxMs.toFixed(1).padStart(6)} ms  ${st.statement}\n`);
      }
      if (p.profile) {
        process.stdout.write(`\n${r.engine} ${p.phase} profile (${p.profile.totalMs} ms of gateway CPU; ${p.profile.file}):\n`);
        for (const b of p.profile.buckets) process.stdout.write(`  ${(b.share * 100).toFixed(1).padStart(5)} %  ${b.ms.toFixed(0).padStart(6)} ms  ${b.bucket}\n`);
        process.stdout.write('  top functions (self time):\n');
        for (const t of p.profile.top) process.stdout.write(`    ${t.ms.toFixed(0).padStart(6)} ms  ${t.fn}\n`);
      }
    }
  }
}

export async function outboundMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      engine: { type: 'string' },
      rates: { type: 'string', default: '100,200,300' },
      seconds: { type: 'string', default: '10' },
      messages: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '10000' },
      profile: { type: 'boolean', default: false },
    },
  });
  const int = (name: string, text: string, min: number): number => {
    const n = Number(text);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer ≥ ${min}, not ${text}`);
    return n;
  };
  const rates = values.rates === '' || values.rates === '0' ? [] : values.rates.split(',').map((r) => int('rates', r.trim(), 1));
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  mkdirSync(RESULTS_DIR, { recursive: true });
  const results: OutboundResult[] = [];
  for (const engine of resolveEngines(values.engine)) {
    process.stderr.write(`bench outbound: ${engine} …\n`);
    results.push(
      await runOutbound(engine, {
        rates,
        seconds: int('seconds', values.seconds, 1),
        messages: int('messages', values.messages, 0),
        concurrency: int('concurrency', values.concurrency, 1),
        warmup: int('warmup', values.warmup, 0),
        profileFile: values.profile ? (phase) => join(RESULTS_DIR, `outbound-${engine}-${phase}-${stamp}.cpuprofile`) : null,
      }),
    );
  }
  printOutbound(results);
  const file = join(RESULTS_DIR, `outbound-${stamp}.json`);
  const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
  writeFileSync(file, `${JSON.stringify({ scenario: 'outbound', machine, at: new Date().toISOString(), results }, null, 2)}\n`);
  process.stdout.write(`\nfull results: ${file}\n`);
  return 0;
}
