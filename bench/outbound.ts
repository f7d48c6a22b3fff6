/**
 * `bench outbound` (options in outbound-cli.ts): sends through the HTTP API
 * (POST /v1/agents/{address}/messages → 202) to a local SMTP sink standing in for the upstream
 * relay (outbound_smtp.mode upstream, pooled). Production settings otherwise: 2048-bit DKIM signing, sealed storage, the default outbound worker (concurrency 16),
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
import { monitorEventLoopDelay } from 'node:perf_hooks';
import { type Engine } from './bench-database.js';
import { BENCH_DOMAIN, NO_API_RATE_LIMITS, startBenchGateway, type BenchGateway } from './bench-gateway.js';
import { startProfile, type ProfileSummary } from './cpu-profile.js';
import { cpuSince, machineBusyCores, markCpu } from './cpu-usage.js';
import { forkLoadChild } from './load-child.js';
import type { OutboundLoadCommand, OutboundLoadEvent, OutboundPhaseReport } from './outbound-load.js';
import { summarise, type LatencySummary } from './percentiles.js';
import { markPostgresCpu } from './postgres-cpu.js';
import { installSqlStats, takeSqlStats, type StatementStat } from './sql-stats.js';

export interface OutboundOptions {
  rates: number[];
  seconds: number;
  messages: number;
  concurrency: number;
  warmup: number;
  /** The .cpuprofile file of a measured phase, when profiling. */
  profileFile: ((phase: string) => string) | null;
  /** The HTTP rate limits: charged on every request (out of the load's reach) or switched off. */
  apiRateLimits: 'on' | 'off';
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
  const load = forkLoadChild<OutboundLoadCommand, OutboundLoadEvent>('outbound-load.ts');
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
      ...(opts.apiRateLimits === 'off' ? NO_API_RATE_LIMITS : {}),
    });
    await bench.api('POST', '/v1/agents', { local_part: 'sender', display_name: 'Bench Sender' });
    await load.ask({ type: 'configure', url: `${bench.gateway.httpUrl}/v1/agents/sender@${BENCH_DOMAIN}/messages`, apiKey: bench.api.key });

    const dbName = bench.postgresDatabase;
    let offset = 0;
    const phase = async (name: string, mode: 'open' | 'closed', messages: number, rateOrConcurrency: number, profileFile: string | null): Promise<OutboundPhase> => {
      // Quiet before every phase: the previous one's queue is drained, so this is the machine.
      const busyCoresBefore = await machineBusyCores();
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
    load.kill();
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

