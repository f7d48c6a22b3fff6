/**
 * The load generator, run as a child process (child_process.fork) so that its CPU and memory are
 * not counted as the gateway's. It builds and DKIM-signs every message before the clock starts, then
 * on command sends them over parallel connections and reports per-message latencies over IPC.
 */
import { signMessage, type DkimKey } from '@e2a/relay/testing';
import { buildLargeMessage, buildSizedMessage, toWire, type Envelope } from './bench-messages.js';
import { onParentCommand } from './load-child.js';
import { PipelinedSmtpClient } from './pipelined-smtp-client.js';

export interface PrepareCommand {
  type: 'prepare';
  host: string;
  port: number;
  envelope: Envelope;
  key: DkimKey;
  runId: string;
  warmup: number;
  messages: number;
  sizeBytes: number;
  largeBytes: number;
  /** Distinct large messages to build (the concurrent large phase sends each once). */
  largeCount: number;
}

export type LoadCommand =
  | PrepareCommand
  /** `target`: another server than the prepared one (the inbound bench's anchors), same messages. */
  | { type: 'run'; phase: 'warmup' | 'load'; concurrency: number; perConnection: number; target?: { host: string; port: number } }
  /** The first `count` large messages, each on a connection of its own, all at once. */
  | { type: 'large'; count: number }
  | { type: 'exit' };

export interface PhaseReport {
  type: 'phase-done';
  phase: 'warmup' | 'load' | 'large';
  acked: number;
  failures: string[];
  latenciesMs: number[];
  elapsedMs: number;
  wireBytes: number;
  /** The generator's own CPU time for the phase, so a reader can see it did not starve the gateway. */
  generatorCpuMs: number;
}

export type LoadEvent = { type: 'prepared'; prepareMs: number; averageWireBytes: number; largeWireBytes: number } | PhaseReport;

let prepared: PrepareCommand | null = null;
let warmupWire: Buffer[] = [];
let loadWire: Buffer[] = [];
let largeWires: Buffer[] = [];

function emit(event: LoadEvent): void {
  process.send!(event);
}

async function prepare(cmd: PrepareCommand): Promise<void> {
  const started = performance.now();
  prepared = cmd;
  const build = async (i: number): Promise<Buffer> =>
    toWire(await signMessage(buildSizedMessage(i, cmd.runId, cmd.envelope, cmd.sizeBytes), cmd.key));
  warmupWire = [];
  for (let i = 0; i < cmd.warmup; i++) warmupWire.push(await build(1_000_000 + i));
  loadWire = [];
  for (let i = 0; i < cmd.messages; i++) loadWire.push(await build(i));
  largeWires = [];
  // Distinct messages (their own Message-ID and bytes): a copy of one would be stored as a duplicate.
  for (let i = 0; cmd.largeBytes > 0 && i < cmd.largeCount; i++) largeWires.push(toWire(await signLarge(`${cmd.runId}-${i}`, cmd)));
  const averageWireBytes = loadWire.reduce((a, b) => a + b.length, 0) / Math.max(1, loadWire.length);
  emit({ type: 'prepared', prepareMs: performance.now() - started, averageWireBytes, largeWireBytes: largeWires[0]?.length ?? 0 });
}

/**
 * A large message of at most `largeBytes` once signed, as the server counts it (before
 * dot-stuffing): `--large-mib 25` is then a message at the default smtp.max_message_bytes, not 1 KiB
 * over it.
 */
async function signLarge(id: string, cmd: PrepareCommand): Promise<Buffer> {
  let signed = await signMessage(buildLargeMessage(id, cmd.envelope, cmd.largeBytes), cmd.key);
  if (signed.length > cmd.largeBytes) signed = await signMessage(buildLargeMessage(id, cmd.envelope, 2 * cmd.largeBytes - signed.length - 80), cmd.key);
  return signed;
}

async function runPhase(phase: 'warmup' | 'load' | 'large', wires: Buffer[], concurrency: number, perConnection: number, target?: { host: string; port: number }): Promise<void> {
  const cmd = { ...prepared!, ...target };
  const latenciesMs: number[] = [];
  const failures: string[] = [];
  let acked = 0;
  let next = 0;
  const cpu0 = process.cpuUsage();
  const started = performance.now();
  // Each worker takes messages from one shared queue and reconnects every `perConnection`
  // messages: reuse as an MTA with a queue for one destination does, plus regular connection setup.
  const worker = async (): Promise<void> => {
    while (next < wires.length) {
      const client = await PipelinedSmtpClient.open(cmd.host, cmd.port, 'load.sender.example');
      try {
        for (let n = 0; n < perConnection && next < wires.length; n++) {
          const wire = wires[next++]!;
          const { reply, latencyMs } = await client.send(cmd.envelope.from, cmd.envelope.to, wire);
          if (reply.code === 250) {
            acked++;
            latenciesMs.push(latencyMs);
          } else if (failures.length < 20) failures.push(reply.text);
        }
      } finally {
        await client.quit();
      }
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, wires.length) }, worker));
  } catch (err) {
    failures.push(`connection failed: ${(err as Error).message}`);
  }
  const elapsedMs = performance.now() - started;
  const cpu = process.cpuUsage(cpu0);
  emit({
    type: 'phase-done',
    phase,
    acked,
    failures,
    latenciesMs,
    elapsedMs,
    wireBytes: wires.reduce((a, b) => a + b.length, 0),
    generatorCpuMs: (cpu.user + cpu.system) / 1000,
  });
}

onParentCommand<LoadCommand>('smtp-load', (cmd) => {
  switch (cmd.type) {
    case 'prepare':
      return prepare(cmd);
    case 'run':
      return runPhase(cmd.phase, cmd.phase === 'warmup' ? warmupWire : loadWire, cmd.concurrency, cmd.perConnection, cmd.target);
    case 'large':
      return runPhase('large', largeWires.slice(0, cmd.count), cmd.count, 1);
    case 'exit':
      process.exit(0);
  }
});
