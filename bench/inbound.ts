/**
 * `bench inbound`: SMTP in → verified, parsed, encrypted, committed → 250, on one engine.
 *
 * The gateway runs in THIS process (createGateway, with a fake resolver serving the sender's DKIM
 * key, SPF and DMARC, so verification does real RSA and hashing with no network). The load
 * generator is a child process (smtp-load.ts) so its CPU and memory are not the gateway's.
 */
import { sql } from 'kysely';
import type { Gateway } from '../api/src/gateway.js';
import { NO_SMTP_RATE_LIMITS, startBenchGateway, SENDER_DOMAIN } from './bench-gateway.js';
import { type Engine } from './bench-database.js';
import { startProfile, type ProfileSummary } from './cpu-profile.js';
import { cpuSince, markCpu, type CpuSpent } from './cpu-usage.js';
import { forceGc } from './gc.js';
import { measureStages, type StageTimes } from './inbound-stages.js';
import { forkLoadChild, type LoadChild } from './load-child.js';
import { summarise, type LatencySummary } from './percentiles.js';
import { maxRssBytes, MiB, sampleRss } from './rss-sampler.js';
import type { LoadCommand, LoadEvent, PhaseReport } from './smtp-load.js';

export interface InboundOptions {
  engine: Engine;
  messages: number;
  concurrency: number;
  sizeBytes: number;
  /** The single large message; 20 MiB on the wire by default. */
  largeBytes: number;
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
  large: {
    wireBytes: number;
    code: string;
    latencyMs: number;
    rssBeforeMiB: number;
    peakSampledMiB: number;
    growthMiB: number;
    growthPerWireByte: number;
    maxRssAfterMiB: number;
    gcForced: boolean;
  } | null;
  stages: StageTimes | null;
  profile: ProfileSummary | null;
}

type Generator = LoadChild<LoadCommand, LoadEvent>;

export async function runInbound(opts: InboundOptions): Promise<InboundResult> {
  const runId = `${opts.engine}${Date.now().toString(36)}`;
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
    });
    if (prepared.type !== 'prepared') throw new Error('load generator did not prepare');

    // Warm-up: JIT, connection pool, first-use allocations. Not counted.
    if (opts.warmup > 0) await generator.ask({ type: 'run', phase: 'warmup', concurrency: opts.concurrency, perConnection: opts.perConnection });

    const storedBefore = await countStored(gateway.database.db, agent.id);
    forceGc();
    const rssBefore = process.memoryUsage.rss();
    const sampler = sampleRss(50);
    const stopProfile = opts.profileFile ? await startProfile() : null;
    const cpuMark = markCpu();
    const load = (await generator.ask({ type: 'run', phase: 'load', concurrency: opts.concurrency, perConnection: opts.perConnection })) as PhaseReport;
    const cpu = cpuSince(cpuMark);
    const profile = stopProfile ? await stopProfile(opts.profileFile!) : null;
    const rssLoad = sampler.stop();
    const maxRssAfterLoad = maxRssBytes();
    const stored = (await countStored(gateway.database.db, agent.id)) - storedBefore;

    const large = opts.largeBytes > 0 ? await measureLarge(generator, prepared.largeWireBytes) : null;

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
      stages,
      profile,
    };
  } finally {
    generator?.kill();
    await bench.close();
  }
}

/**
 * The large message, alone on a fresh connection. Growth = peak RSS while it is received, verified,
 * parsed, encrypted and committed, minus RSS just before, taken after full GCs so garbage from the
 * load phase is not mistaken for a baseline that later shrinks.
 */
async function measureLarge(generator: Generator, wireBytes: number): Promise<NonNullable<InboundResult['large']>> {
  const gcForced = forceGc();
  await new Promise((r) => setTimeout(r, 200));
  forceGc();
  const before = process.memoryUsage.rss();
  // 10 ms, not 50: one message's peak lasts well under a second.
  const sampler = sampleRss(10);
  const report = (await generator.ask({ type: 'large' })) as PhaseReport;
  const peak = sampler.stop().peak;
  return {
    wireBytes,
    code: report.acked === 1 ? '250' : (report.failures[0] ?? 'no reply'),
    latencyMs: report.latenciesMs[0] ?? Number.NaN,
    rssBeforeMiB: before / MiB,
    peakSampledMiB: peak / MiB,
    growthMiB: (peak - before) / MiB,
    growthPerWireByte: (peak - before) / wireBytes,
    maxRssAfterMiB: maxRssBytes() / MiB,
    gcForced,
  };
}

async function countStored(db: Gateway['database']['db'], agentId: string): Promise<number> {
  const row = await db.selectFrom('messages').select(sql<number>`count(*)::int`.as('n')).where('agent_id', '=', agentId).executeTakeFirstOrThrow();
  return row.n;
}

