/**
 * `bench inbound`: SMTP in → verified, parsed, encrypted, committed → 250, on one engine.
 *
 * The gateway runs in THIS process (createGateway, with a fake resolver serving the sender's DKIM
 * key, SPF and DMARC, so verification does real RSA and hashing with no network). The load
 * generator is a child process (smtp-load.ts) so its CPU and memory are not the gateway's.
 */
import { sql } from 'kysely';
import type { Gateway } from '../api/src/gateway.js';
import { runAnchors, type AnchorResult } from './anchors.js';
import { NO_SMTP_RATE_LIMITS, startBenchGateway, SENDER_DOMAIN } from './bench-gateway.js';
import { type Engine } from './bench-database.js';
import { startProfile, type ProfileSummary } from './cpu-profile.js';
import { installSqlStats, takeSqlStats, type StatementStat } from './sql-stats.js';
import { cpuSince, markCpu, type CpuSpent } from './cpu-usage.js';
import { forceGc } from './gc.js';
import { measureStages, type StageTimes } from './inbound-stages.js';
import { forkLoadChild, type LoadChild } from './load-child.js';
import { summarise, type LatencySummary } from './percentiles.js';
import { maxRssBytes, MiB, peakRssSinceReset, resetPeakRss, sampleRss } from './rss-sampler.js';
import type { LoadCommand, LoadEvent, PhaseReport } from './smtp-load.js';

export interface InboundOptions {
  engine: Engine;
  messages: number;
  concurrency: number;
  sizeBytes: number;
  /** The single large message; 20 MiB on the wire by default. */
  largeBytes: number;
  /** After the single large message, this many distinct ones at once, one per connection (≤ 1: not run). */
  largeConcurrency: number;
  /** Messages per SMTP connection before the generator reconnects. */
  perConnection: number;
  warmup: number;
  /** Serial per-stage timing samples (0 skips that part). */
  stageSamples: number;
  /** Write a CPU profile of the gateway during the load phase to this file (null: no profiling). */
  profileFile: string | null;
  /** The shared SMTP rate budgets: checked on every message (out of the load's reach) or switched off. */
  smtpRateLimits: 'on' | 'off';
  /** database.embedded_fsync: PGlite commits fsynced (the default) or not. */
  embeddedFsync: 'on' | 'off';
  /** After the load phase, the same messages to a plain smtp-server and to smtp-server + mailauth. */
  anchors: boolean;
}

export interface InboundResult {
  engine: Engine;
  options: InboundOptions;
  load: {
    acked: number;
    stored: number;
    failures: string[];
    elapsedMs: number;
    messagesPerSecond: number;
    latencyMs: LatencySummary;
    averageWireBytes: number;
    cpu: CpuSpent & { gatewayMsPerMessage: number };
    generatorCpuMs: number;
    rss: { beforeMiB: number; peakSampledMiB: number; maxRssMiB: number; samples: number };
  };
  /** null when run with --large-mib 0. */
  large: LargeResult | null;
  /** `largeConcurrency` large messages at once; null when it is 1 or less. */
  largeConcurrent: LargeResult | null;
  stages: StageTimes | null;
  profile: ProfileSummary | null;
  /** null without --anchors. */
  anchors: AnchorResult[] | null;
  /** Statements the gateway ran during the load phase, PostgreSQL only (sql-stats.ts). */
  sql: StatementStat[] | null;
}

export interface LargeResult {
  /** Messages sent at once, each on its own connection. */
  messages: number;
  /** One message's size on the wire. */
  wireBytes: number;
  /** '250' when every message was accepted, else the first failure. */
  code: string;
  /** The slowest message's end of DATA → reply. */
  latencyMs: number;
  rssBeforeMiB: number;
  peakSampledMiB: number;
  /** The kernel's peak (VmHWM, reset just before): synchronous peaks between samples included; null off Linux. */
  peakKernelMiB: number | null;
  /** The kernel's peak (the sampled one where there is none) − RSS before. */
  growthMiB: number;
  /** growthMiB over the bytes of all the messages sent. */
  growthPerWireByte: number;
  maxRssAfterMiB: number;
  gcForced: boolean;
}

type Generator = LoadChild<LoadCommand, LoadEvent>;

export async function runInbound(opts: InboundOptions): Promise<InboundResult> {
  const runId = `${opts.engine}${Date.now().toString(36)}`;
  if (opts.engine === 'postgres') installSqlStats();
  const bench = await startBenchGateway(opts.engine, {
    ...(opts.smtpRateLimits === 'off' ? NO_SMTP_RATE_LIMITS : {}),
    E2A_DATABASE_EMBEDDED_FSYNC: opts.embeddedFsync === 'on' ? 'true' : 'false',
  });
  const { gateway, senderKey: key, resolver } = bench;
  let generator: Generator | null = null;
  try {
    const agent = await bench.api<{ id: string; address: string }>('POST', '/v1/agents', { local_part: 'bot' });
    const envelope = { from: `alice@${SENDER_DOMAIN}`, to: agent.address };

    generator = forkLoadChild<LoadCommand, LoadEvent>('smtp-load.ts');
    const prepared = await generator.ask({
      type: 'prepare',
      host: gateway.smtpHost,
      port: gateway.smtpPort,
      envelope,
      key,
      runId,
      warmup: opts.warmup,
      messages: opts.messages,
      sizeBytes: opts.sizeBytes,
      largeBytes: opts.largeBytes,
      largeCount: Math.max(1, opts.largeConcurrency),
    });
    if (prepared.type !== 'prepared') throw new Error('load generator did not prepare');

    // Warm-up: JIT, connection pool, first-use allocations. Not counted.
    if (opts.warmup > 0) await generator.ask({ type: 'run', phase: 'warmup', concurrency: opts.concurrency, perConnection: opts.perConnection });

    const storedBefore = await countStored(gateway.database.db, agent.id);
    forceGc();
    const rssBefore = process.memoryUsage.rss();
    const sampler = sampleRss(50);
    const stopProfile = opts.profileFile ? await startProfile() : null;
    takeSqlStats();
    const cpuMark = markCpu();
    const load = (await generator.ask({ type: 'run', phase: 'load', concurrency: opts.concurrency, perConnection: opts.perConnection })) as PhaseReport;
    const cpu = cpuSince(cpuMark);
    const sqlStats = opts.engine === 'postgres' ? takeSqlStats() : null;
    const profile = stopProfile ? await stopProfile(opts.profileFile!) : null;
    const rssLoad = sampler.stop();
    const maxRssAfterLoad = maxRssBytes();
    const stored = (await countStored(gateway.database.db, agent.id)) - storedBefore;

    // Right after the gateway's load phase, so the machine is as busy (or as quiet) for all three.
    const anchors = opts.anchors
      ? await runAnchors(generator, { key, senderDomain: SENDER_DOMAIN, warmup: opts.warmup, concurrency: opts.concurrency, perConnection: opts.perConnection })
      : null;

    const large = opts.largeBytes > 0 ? await measureLarge(generator, prepared.largeWireBytes, 1) : null;
    const largeConcurrent = opts.largeBytes > 0 && opts.largeConcurrency > 1 ? await measureLarge(generator, prepared.largeWireBytes, opts.largeConcurrency) : null;

    const stages =
      opts.stageSamples > 0
        ? await measureStages({
            gateway,
            resolver,
            recipient: { agentId: agent.id, address: agent.address },
            envelope,
            key,
            sizeBytes: opts.sizeBytes,
            samples: opts.stageSamples,
            runId,
          })
        : null;

    generator.tell({ type: 'exit' });
    return {
      engine: opts.engine,
      options: opts,
      load: {
        acked: load.acked,
        stored,
        failures: load.failures,
        elapsedMs: load.elapsedMs,
        messagesPerSecond: load.acked / (load.elapsedMs / 1000),
        latencyMs: summarise(load.latenciesMs),
        averageWireBytes: prepared.averageWireBytes,
        cpu: { ...cpu, gatewayMsPerMessage: cpu.processMs / Math.max(1, load.acked) },
        generatorCpuMs: load.generatorCpuMs,
        rss: { beforeMiB: rssBefore / MiB, peakSampledMiB: rssLoad.peak / MiB, maxRssMiB: maxRssAfterLoad / MiB, samples: rssLoad.samples },
      },
      large,
      largeConcurrent,
      stages,
      profile,
      anchors,
      sql: sqlStats,
    };
  } finally {
    generator?.kill();
    await bench.close();
  }
}

/**
 * `count` large messages at once, each alone on a fresh connection. Growth = peak RSS while they are
 * received, verified, parsed, encrypted and committed, minus RSS just before, taken after full GCs
 * so garbage from the load phase is not mistaken for a baseline that later shrinks. The peak is the
 * kernel's (VmHWM, reset just before), which sees a synchronous step's peak that the 10 ms samples
 * can miss.
 */
async function measureLarge(generator: Generator, wireBytes: number, count: number): Promise<LargeResult> {
  const gcForced = forceGc();
  await new Promise((r) => setTimeout(r, 200));
  forceGc();
  const before = process.memoryUsage.rss();
  const kernel = resetPeakRss();
  // 10 ms, not 50: one message's peak lasts well under a second.
  const sampler = sampleRss(10);
  const report = (await generator.ask({ type: 'large', count })) as PhaseReport;
  const sampled = sampler.stop().peak;
  const peakKernel = kernel ? peakRssSinceReset() : null;
  const peak = peakKernel ?? sampled;
  return {
    messages: count,
    wireBytes,
    code: report.acked === count ? '250' : (report.failures[0] ?? `${count - report.acked} without a reply`),
    latencyMs: report.latenciesMs.length > 0 ? Math.max(...report.latenciesMs) : Number.NaN,
    rssBeforeMiB: before / MiB,
    peakSampledMiB: sampled / MiB,
    peakKernelMiB: peakKernel === null ? null : peakKernel / MiB,
    growthMiB: (peak - before) / MiB,
    growthPerWireByte: (peak - before) / (wireBytes * count),
    maxRssAfterMiB: maxRssBytes() / MiB,
    gcForced,
  };
}

async function countStored(db: Gateway['database']['db'], agentId: string): Promise<number> {
  const row = await db.selectFrom('messages').select(sql<number>`count(*)::int`.as('n')).where('agent_id', '=', agentId).executeTakeFirstOrThrow();
  return row.n;
}

