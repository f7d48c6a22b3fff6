/**
 * `bench inbound --anchors`: the load generator's prepared messages, sent the same way, to a plain
 * smtp-server and to smtp-server + mailauth (anchor-server.ts, each in a fresh child process), so
 * the gateway's CPU per message can be read as a ratio to what its two main libraries cost on the
 * same machine in the same run.
 */
import type { DkimKey } from '@e2a/relay/testing';
import type { AnchorCommand, AnchorEvent, AnchorKind, AnchorVerdicts } from './anchor-server.js';
import { cpuSince, markCpu } from './cpu-usage.js';
import { forkLoadChild, type LoadChild } from './load-child.js';
import { summarise, type LatencySummary } from './percentiles.js';
import type { LoadCommand, LoadEvent, PhaseReport } from './smtp-load.js';

export interface AnchorResult {
  kind: AnchorKind;
  acked: number;
  failures: string[];
  messagesPerSecond: number;
  latencyMs: LatencySummary;
  /** The anchor process's user + system CPU over the measured phase, per acknowledged message. */
  cpuMsPerMessage: number;
  machineBusyCores: number | null;
  verdicts: AnchorVerdicts;
}

export interface AnchorOptions {
  key: DkimKey;
  senderDomain: string;
  warmup: number;
  concurrency: number;
  perConnection: number;
}

export const ANCHOR_LABEL: Record<AnchorKind, string> = { bare: 'smtp-server', mailauth: 'smtp-server + mailauth' };

/** Runs both anchors, one after the other, with the generator that measured the gateway. */
export async function runAnchors(generator: LoadChild<LoadCommand, LoadEvent>, opts: AnchorOptions): Promise<AnchorResult[]> {
  const results: AnchorResult[] = [];
  for (const kind of ['bare', 'mailauth'] as const) results.push(await runAnchor(generator, kind, opts));
  return results;
}

async function runAnchor(generator: LoadChild<LoadCommand, LoadEvent>, kind: AnchorKind, opts: AnchorOptions): Promise<AnchorResult> {
  const server = forkLoadChild<AnchorCommand, AnchorEvent>('anchor-server.ts');
  try {
    const listening = await server.ask({ type: 'start', kind, key: opts.key, senderDomain: opts.senderDomain });
    if (listening.type !== 'listening') throw new Error(`anchor ${kind} did not start`);
    const target = { host: '127.0.0.1', port: listening.port };
    const run = { type: 'run' as const, concurrency: opts.concurrency, perConnection: opts.perConnection, target };
    // The gateway's warm-up, for the same reason: JIT and first-use allocations are not counted.
    if (opts.warmup > 0) await generator.ask({ ...run, phase: 'warmup' });
    await server.ask({ type: 'mark' });
    const machine = markCpu();
    const load = (await generator.ask({ ...run, phase: 'load' })) as PhaseReport;
    const busy = cpuSince(machine).machineBusyCores;
    const measured = await server.ask({ type: 'measure' });
    if (measured.type !== 'measured') throw new Error(`anchor ${kind} did not report its CPU`);
    server.tell({ type: 'exit' });
    return {
      kind,
      acked: load.acked,
      failures: load.failures,
      messagesPerSecond: load.acked / (load.elapsedMs / 1000),
      latencyMs: summarise(load.latenciesMs),
      cpuMsPerMessage: measured.processMs / Math.max(1, load.acked),
      machineBusyCores: busy,
      verdicts: measured.verdicts,
    };
  } finally {
    server.kill();
  }
}
