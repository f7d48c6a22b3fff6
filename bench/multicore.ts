/**
 * `npm run bench -- multicore`: the compiled gateway on PostgreSQL as 1 process and as N
 * (`serve --processes N`, every process on the same SMTP port), under the same SMTP load as the
 * inbound bench (smtp-load.ts, in its own process): msg/s, latency, and CPU per message of all
 * gateway processes together and of PostgreSQL. Then the cost of a replica that takes no traffic:
 * two `serve` processes on one database, the load sent to one, the CPU the other (and its
 * PostgreSQL backends) spends per event the first commits, over what it spends idle.
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { COMMON_OPTIONS, int, ints, machineInfo, onOff, saveResults, startResults } from './bench-cli.js';
import { assertGatewayBuilt } from './compiled-gateway.js';
import { machineBusyCores, cpuSince, markCpu } from './cpu-usage.js';
import { forkLoadChild, type LoadChild } from './load-child.js';
import { summarise, type LatencySummary } from './percentiles.js';
import { markPostgresCpu } from './postgres-cpu.js';
import { markProcessCpu } from './process-cpu.js';
import { BENCH_SENDER, createDeployment, startServe, type Deployment, type ServeProcesses } from './serve-processes.js';
import type { LoadCommand, LoadEvent, PhaseReport } from './smtp-load.js';
import { fixed, formatTable } from './table.js';

export const MULTICORE_USAGE = `usage: npm run bench -- multicore [--processes 1,2] [--messages 4000] [--concurrency 16] [--size 4096]
                              [--per-connection 20] [--warmup 2000] [--idle on|off|only] [--idle-seconds 10]`;

interface Options {
  processes: number[];
  messages: number;
  concurrency: number;
  sizeBytes: number;
  perConnection: number;
  warmup: number;
  /** The idle-replica measurement: after the throughput runs (on), not at all (off), or alone (only). */
  idle: 'on' | 'off' | 'only';
  idleSeconds: number;
}

interface ThroughputResult {
  processes: number;
  acked: number;
  failures: string[];
  messagesPerSecond: number;
  latencyMs: LatencySummary;
  /** All gateway processes together (the supervisor included), ms per acknowledged message. */
  gatewayCpuMsPerMessage: number;
  /** Each gateway process's CPU ms in the load phase (the supervisor first when N > 1). */
  cpuMsByProcess: number[];
  postgresCpuMsPerMessage: number | null;
  machineBusyCores: number | null;
  generatorCpuMs: number;
}

interface IdleReplicaResult {
  /** Events the busy replica committed in the load phase (one email.received per message). */
  events: number;
  loadSeconds: number;
  busyGatewayCpuMsPerMessage: number;
  /** The idle replica's own CPU with nothing happening anywhere, ms per second. */
  idleBaselineMsPerSecond: number;
  idleBackendsBaselineMsPerSecond: number;
  /** The same during the other's load. */
  idleLoadMsPerSecond: number;
  idleBackendsLoadMsPerSecond: number;
  /** Over its baseline, during the other's load, per event committed. */
  idleGatewayUsPerEvent: number;
  idleBackendsUsPerEvent: number;
}

type Generator = LoadChild<LoadCommand, LoadEvent>;

export async function multicoreMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      processes: { type: 'string', default: '1,2' },
      messages: { type: 'string', default: '4000' },
      concurrency: { type: 'string', default: '16' },
      size: { type: 'string', default: '4096' },
      'per-connection': { type: 'string', default: '20' },
      warmup: { type: 'string', default: '2000' },
      idle: { type: 'string', default: 'on' },
      'idle-seconds': { type: 'string', default: '10' },
    },
  });
  if (values.help) {
    process.stdout.write(`${MULTICORE_USAGE}\n`);
    return 0;
  }
  const options: Options = {
    processes: ints('processes', values.processes, 1),
    messages: int('messages', values.messages, 1),
    concurrency: int('concurrency', values.concurrency, 1),
    sizeBytes: int('size', values.size, 512),
    perConnection: int('per-connection', values['per-connection'], 1),
    warmup: int('warmup', values.warmup, 0),
    idle: values.idle === 'only' ? 'only' : onOff('idle', values.idle),
    idleSeconds: int('idle-seconds', values['idle-seconds'], 1),
  };
  assertGatewayBuilt();
  const stamp = startResults();
  const busyBefore = (await machineBusyCores()) ?? 0;
  const throughput: ThroughputResult[] = [];
  for (const n of options.idle === 'only' ? [] : options.processes) {
    process.stderr.write(`bench multicore: ${n} process${n > 1 ? 'es' : ''} …\n`);
    throughput.push(await runThroughput(n, options));
  }
  if (options.idle !== 'off') process.stderr.write('bench multicore: idle replica …\n');
  const idle = options.idle !== 'off' ? await runIdleReplica(options) : null;
  const machine = { ...machineInfo(), busyCoresBefore: Math.round(busyBefore * 100) / 100 };
  print(options, throughput, idle, machine);
  saveResults('multicore', stamp, machine, [{ options, throughput, idle }]);
  return 0;
}

async function prepareLoad(deployment: Deployment, server: ServeProcesses, options: Options, runId: string): Promise<Generator> {
  const agent = await server.api<{ address: string }>('POST', '/v1/agents', { local_part: 'bot' });
  const generator = forkLoadChild<LoadCommand, LoadEvent>('smtp-load.ts');
  const prepared = await generator.ask({
    type: 'prepare',
    host: '127.0.0.1',
    port: server.smtpPort,
    envelope: { from: BENCH_SENDER, to: agent.address },
    key: deployment.senderKey,
    runId,
    warmup: options.warmup,
    messages: options.messages,
    sizeBytes: options.sizeBytes,
    largeBytes: 0,
    largeCount: 0,
  });
  if (prepared.type !== 'prepared') throw new Error('load generator did not prepare');
  // Warm-up: JIT, pools, the DNS cache (each process has its own). Not counted.
  if (options.warmup > 0) await generator.ask({ type: 'run', phase: 'warmup', concurrency: options.concurrency, perConnection: options.perConnection });
  return generator;
}

function load(generator: Generator, options: Options): Promise<PhaseReport> {
  return generator.ask({ type: 'run', phase: 'load', concurrency: options.concurrency, perConnection: options.perConnection }) as Promise<PhaseReport>;
}

async function runThroughput(processes: number, options: Options): Promise<ThroughputResult> {
  const deployment = await createDeployment();
  let server: ServeProcesses | null = null;
  let generator: Generator | null = null;
  try {
    server = await startServe(deployment, processes, 'e2a_bench');
    generator = await prepareLoad(deployment, server, options, `mc${processes}${Date.now().toString(36)}`);
    const pids = server.pids();
    const marks = pids.map((pid) => markProcessCpu(() => [pid]));
    const postgresCpu = markPostgresCpu(new URL(deployment.databaseUrl).pathname.slice(1));
    const machine = markCpu();
    const report = await load(generator, options);
    const busy = cpuSince(machine).machineBusyCores;
    const cpuMsByProcess = marks.map((m) => m());
    const pgMs = postgresCpu();
    const acked = Math.max(1, report.acked);
    generator.tell({ type: 'exit' });
    return {
      processes,
      acked: report.acked,
      failures: report.failures,
      messagesPerSecond: report.acked / (report.elapsedMs / 1000),
      latencyMs: summarise(report.latenciesMs),
      gatewayCpuMsPerMessage: cpuMsByProcess.reduce((a, b) => a + b, 0) / acked,
      cpuMsByProcess,
      postgresCpuMsPerMessage: pgMs === null ? null : pgMs / acked,
      machineBusyCores: busy,
      generatorCpuMs: report.generatorCpuMs,
    };
  } finally {
    generator?.kill();
    await server?.stop();
    await deployment.close();
  }
}

/** The pids of the PostgreSQL backends serving connections tagged `applicationName`. */
async function backendPids(databaseUrl: string, applicationName: string): Promise<number[]> {
  const client = new pg.Client({ connectionString: databaseUrl });
  await client.connect();
  try {
    const { rows } = await client.query<{ pid: number }>('SELECT pid FROM pg_stat_activity WHERE application_name = $1', [applicationName]);
    return rows.map((r) => r.pid);
  } finally {
    await client.end();
  }
}

async function runIdleReplica(options: Options): Promise<IdleReplicaResult> {
  const deployment = await createDeployment();
  let busy: ServeProcesses | null = null;
  let idle: ServeProcesses | null = null;
  let generator: Generator | null = null;
  try {
    busy = await startServe(deployment, 1, 'e2a_busy');
    idle = await startServe(deployment, 1, 'e2a_idle');
    generator = await prepareLoad(deployment, busy, options, `idle${Date.now().toString(36)}`);
    const idlePids = idle.pids();
    let backends = await backendPids(deployment.databaseUrl, 'e2a_idle');

    // Baseline: what the idle replica spends with nothing happening (its timers and polls), before
    // and after the load, averaged.
    const quiet = async (): Promise<{ replicaMs: number; backendsMs: number; seconds: number }> => {
      const replica = markProcessCpu(() => idlePids);
      const ofBackends = markProcessCpu(() => backends);
      const started = performance.now();
      await new Promise((r) => setTimeout(r, options.idleSeconds * 1000));
      backends = await backendPids(deployment.databaseUrl, 'e2a_idle');
      return { replicaMs: replica(), backendsMs: ofBackends(), seconds: (performance.now() - started) / 1000 };
    };
    const before = await quiet();

    const busyMark = markProcessCpu(() => busy!.pids());
    const idleMark = markProcessCpu(() => idlePids);
    const idleBackends = markProcessCpu(() => backends);
    const report = await load(generator, options);
    backends = await backendPids(deployment.databaseUrl, 'e2a_idle');
    const idleMs = idleMark();
    const idleBackendsMs = idleBackends();
    const busyMs = busyMark();
    const seconds = report.elapsedMs / 1000;
    const events = Math.max(1, report.acked);
    generator.tell({ type: 'exit' });
    const after = await quiet();
    const baseline = (before.replicaMs + after.replicaMs) / (before.seconds + after.seconds);
    const backendsBaseline = (before.backendsMs + after.backendsMs) / (before.seconds + after.seconds);
    return {
      events: report.acked,
      loadSeconds: seconds,
      busyGatewayCpuMsPerMessage: busyMs / events,
      idleBaselineMsPerSecond: baseline,
      idleBackendsBaselineMsPerSecond: backendsBaseline,
      idleLoadMsPerSecond: idleMs / seconds,
      idleBackendsLoadMsPerSecond: idleBackendsMs / seconds,
      idleGatewayUsPerEvent: ((idleMs - baseline * seconds) / events) * 1000,
      idleBackendsUsPerEvent: ((idleBackendsMs - backendsBaseline * seconds) / events) * 1000,
    };
  } finally {
    generator?.kill();
    await idle?.stop();
    await busy?.stop();
    await deployment.close();
  }
}

function print(options: Options, throughput: ThroughputResult[], idle: IdleReplicaResult | null, machine: { cores: number; cpu: string; node: string; busyCoresBefore: number }): void {
  const out = (line = ''): void => void process.stdout.write(`${line}\n`);
  out();
  out(`multicore: compiled gateway on PostgreSQL, ${options.messages} messages of ~${options.sizeBytes} B (DKIM rsa-sha256 2048, SPF, DMARC) after ${options.warmup} warm-up, ` +
    `${options.concurrency} connections, ${options.perConnection} per connection; ${machine.cores} cores, ${machine.cpu}, node ${machine.node}`);
  if (machine.busyCoresBefore > 0.25) out(`WARNING: ${machine.busyCoresBefore} of ${machine.cores} cores were busy with other work in the second before the run; figures are skewed`);
  out(formatTable(
    ['processes', 'msg/s', 'p50 ms', 'p99 ms', 'acked', 'gateway CPU ms/msg (all processes)', 'CPU ms by process', 'PostgreSQL CPU ms/msg', 'machine busy cores'],
    throughput.map((r) => [
      String(r.processes),
      fixed(r.messagesPerSecond, 0),
      fixed(r.latencyMs.p50),
      fixed(r.latencyMs.p99),
      String(r.acked),
      fixed(r.gatewayCpuMsPerMessage, 2),
      r.cpuMsByProcess.map((ms) => fixed(ms, 0)).join(' + '),
      fixed(r.postgresCpuMsPerMessage, 2),
      `${fixed(r.machineBusyCores, 2)}/${machine.cores}`,
    ]),
  ));
  for (const r of throughput) if (r.failures.length) out(`  ${r.processes} processes, failures: ${r.failures.slice(0, 3).join(' | ')}`);
  if (!idle) return;
  out();
  out(`idle replica: two replicas on one database, the load to one; the other's CPU over its own idle baseline, per event committed (${idle.events} events in ${fixed(idle.loadSeconds)} s)`);
  out(formatTable(
    ['busy replica CPU ms/msg', 'idle replica µs/event', 'its PostgreSQL backends µs/event', 'idle ms/s: quiet → under load (replica · backends)'],
    [[
      fixed(idle.busyGatewayCpuMsPerMessage, 2),
      fixed(idle.idleGatewayUsPerEvent, 1),
      fixed(idle.idleBackendsUsPerEvent, 1),
      `${fixed(idle.idleBaselineMsPerSecond, 2)} → ${fixed(idle.idleLoadMsPerSecond, 2)} · ${fixed(idle.idleBackendsBaselineMsPerSecond, 2)} → ${fixed(idle.idleBackendsLoadMsPerSecond, 2)}`,
    ]],
  ));
}
