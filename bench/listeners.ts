/**
 * `npm run bench -- listeners [options]`: what one idle WebSocket listener costs the gateway in
 * memory, against what it costs a bare `ws` server, with the same clients.
 *
 * Each server runs in a child process of its own and the clients in another (listeners-load.ts), so
 * a server's RSS and heap hold only the server side of the connections. The gateway is `e2a-server
 * serve` from api/dist, as in production (compiled-gateway.ts says why not the sources under tsx);
 * the reference is a bare `ws` server (bare-ws-server.ts). Both have listeners-probe.ts preloaded,
 * which answers for their memory. The gateway's listeners authenticate with the bench key
 * (Authorization: Bearer) on `GET /v1/agents/{address}/ws` spread over `--agents` agents; the bare
 * server takes the same URLs. After
 * a warm-up (open and close a thousand) the server is asked for its memory after forced full
 * collections, N listeners are opened and held, and it is asked again once every one is subscribed.
 * `--snapshot` also writes a heap snapshot before and after, and prints what grew per listener.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { COMMON_OPTIONS, int, machineInfo, RESULTS_DIR, saveResults, startResults } from './bench-cli.js';
import { resolveEngines, type Engine } from './bench-database.js';
import { machineBusyCores } from './cpu-usage.js';
import { openFileLimit } from './delivery.js';
import { heapGrowth, summariseHeap, type HeapGrowth } from './heap-summary.js';
import type { ClientCommand, ClientEvent } from './listeners-load.js';
import type { BareCommand, BareEvent } from './bare-ws-server.js';
import { assertGatewayBuilt, startCompiledGateway } from './compiled-gateway.js';
import type { ProbeCommand, ProbeEvent, ServerMemory } from './listeners-probe.js';
import { forkLoadChild, loadChildOf, type LoadChild } from './load-child.js';
import { MiB } from './rss-sampler.js';
import { fixed, formatTable } from './table.js';

export const LISTENERS_USAGE = `usage: npm run bench -- listeners [--engine pglite|postgres|both] [--listeners 10000] [--agents 100]
                                [--in-flight 50] [--warmup 1000] [--snapshot]`;

type ListenerServerKind = 'bare' | 'gateway';

interface ListenersOptions {
  listeners: number;
  agents: number;
  inFlight: number;
  warmup: number;
  snapshot: boolean;
}

export interface ListenersServerResult {
  kind: ListenerServerKind;
  engine: Engine | null;
  requested: number;
  ready: number;
  failures: string[];
  connectMs: number;
  before: ServerMemory;
  after: ServerMemory;
  /** Once every listener has closed again: what the server kept that no listener holds. */
  closed: ServerMemory;
  perListener: { rssKiB: number; heapUsedKiB: number; heapTotalKiB: number; externalKiB: number; rssKeptKiB: number };
  /** --snapshot: heap groups that grew, per listener, largest first (top 25). */
  heapGrowth: HeapGrowth[] | null;
  snapshots: string[];
}

export async function listenersMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      ...COMMON_OPTIONS,
      listeners: { type: 'string', default: '10000' },
      agents: { type: 'string', default: '100' },
      'in-flight': { type: 'string', default: '50' },
      // Enough connections for V8 to compile the connect path: its code is not a listener's memory.
      warmup: { type: 'string', default: '1000' },
      snapshot: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    process.stdout.write(`${LISTENERS_USAGE}\n`);
    return 0;
  }
  const opts: ListenersOptions = {
    listeners: int('listeners', values.listeners, 1),
    agents: int('agents', values.agents, 1),
    inFlight: int('in-flight', values['in-flight'], 1),
    warmup: int('warmup', values.warmup, 0),
    snapshot: values.snapshot,
  };
  // The server and the client process each hold one descriptor per listener; both inherit ours.
  const needFds = opts.listeners + 500;
  if (openFileLimit() < needFds) return rerunWithFdLimit(argv, needFds);
  const engines = resolveEngines(values.engine);
  assertGatewayBuilt();
  const stamp = startResults();
  const busyBefore = (await machineBusyCores()) ?? 0;
  const results: ListenersServerResult[] = [];
  for (const server of [{ kind: 'bare' as const, engine: null }, ...engines.map((engine) => ({ kind: 'gateway' as const, engine }))]) {
    process.stderr.write(`bench listeners: ${server.engine ? `gateway (${server.engine})` : 'bare ws'}, ${opts.listeners} listeners …\n`);
    results.push(await measureServer(server.kind, server.engine, opts, stamp));
  }
  const machine = { ...machineInfo(), busyCoresBefore: Math.round(busyBefore * 100) / 100 };
  printListeners(results, machine);
  saveResults('listeners', stamp, machine, results);
  return 0;
}

/** One server under measurement, whichever kind: where to connect, and how to ask it things. */
interface MeasuredServer {
  wsBase: string;
  key: string;
  addresses: string[];
  probe: LoadChild<ProbeCommand, ProbeEvent>;
  /** Listeners subscribed: the gateway's e2a_websocket_listeners gauge, the bare server's clients. */
  listeners(): Promise<number>;
  stop(): Promise<void>;
}

const PROBE = join(import.meta.dirname, 'listeners-probe.ts');

async function startServer(kind: ListenerServerKind, engine: Engine | null, agents: number): Promise<MeasuredServer> {
  if (kind === 'bare') {
    const bare = forkLoadChild<BareCommand | ProbeCommand, BareEvent | ProbeEvent>('bare-ws-server.ts');
    const started = await bare.wait();
    if (started.type !== 'started') throw new Error('bare ws server did not start');
    return {
      wsBase: `ws://127.0.0.1:${started.port}`,
      key: '',
      addresses: Array.from({ length: agents }, (_, i) => `idle-${i}@bare.bench`),
      probe: bare as LoadChild<ProbeCommand, ProbeEvent>,
      async listeners() {
        const answer = await bare.ask({ type: 'listeners' });
        return answer.type === 'listeners' ? answer.listeners : Number.NaN;
      },
      async stop() {
        bare.kill();
      },
    };
  }
  const gateway = await startCompiledGateway(engine!, ['--expose-gc', '--import', 'tsx', '--import', PROBE]);
  try {
    const addresses: string[] = [];
    for (let i = 0; i < agents; i++) addresses.push((await gateway.api<{ address: string }>('POST', '/v1/agents', { local_part: `idle-${i}` })).address);
    return {
      wsBase: gateway.httpUrl.replace(/^http/, 'ws'),
      key: gateway.api.key,
      addresses,
      probe: loadChildOf<ProbeCommand, ProbeEvent>(gateway.child, 'e2a-server'),
      async listeners() {
        const text = await (await fetch(`${gateway.httpUrl}/metrics`)).text();
        const gauge = /^e2a_websocket_listeners (\d+)$/m.exec(text);
        if (!gauge) throw new Error('GET /metrics has no e2a_websocket_listeners gauge');
        return Number(gauge[1]);
      },
      stop: () => gateway.stop(),
    };
  } catch (err) {
    await gateway.stop();
    throw err;
  }
}

async function measureServer(kind: ListenerServerKind, engine: Engine | null, opts: ListenersOptions, stamp: string): Promise<ListenersServerResult> {
  const server = await startServer(kind, engine, opts.agents);
  const clients = forkLoadChild<ClientCommand, ClientEvent>('listeners-load.ts');
  try {
    const urls = Array.from({ length: opts.listeners }, (_, i) => `${server.wsBase}/v1/agents/${encodeURIComponent(server.addresses[i % server.addresses.length]!)}/ws`);
    const headers: Record<string, string> = server.key ? { authorization: `Bearer ${server.key}` } : {};
    // Warm-up: JIT, the upgrade and session paths, the database's first queries; then a baseline.
    if (opts.warmup > 0) {
      await clients.ask({ type: 'open', urls: urls.slice(0, opts.warmup), headers, inFlight: opts.inFlight });
      await clients.ask({ type: 'close' });
      await waitForListeners(server, 0);
    }
    const snapshots: string[] = [];
    const snapshot = async (when: string) => {
      const answer = await server.probe.ask({ type: 'snapshot', file: join(RESULTS_DIR, `listeners-${engine ?? kind}-${stamp}-${when}.heapsnapshot`) });
      if (answer.type === 'snapshot') snapshots.push(answer.file);
    };
    // Taken before the baseline: writing a snapshot grows RSS, and that must not count as listeners'.
    if (opts.snapshot) await snapshot('before');
    const before = await memory(server);
    const opened = await clients.ask({ type: 'open', urls, headers, inFlight: opts.inFlight });
    if (opened.type !== 'opened') throw new Error('clients did not report');
    // Every listener subscribed (the gateway sends `ready` before it joins the hub) and its empty
    // replay done: a second's pause, then the figure.
    await waitForListeners(server, opened.ready);
    await new Promise((r) => setTimeout(r, 1000));
    const after = await memory(server);
    if (opts.snapshot) await snapshot('after');
    await clients.ask({ type: 'close' });
    await waitForListeners(server, 0);
    const closed = await memory(server);
    const n = Math.max(1, opened.ready);
    const growth = snapshots.length === 2 ? heapGrowth(summariseHeap(snapshots[0]!), summariseHeap(snapshots[1]!), n).slice(0, 25) : null;
    return {
      kind,
      engine,
      requested: opened.requested,
      ready: opened.ready,
      failures: opened.failures,
      connectMs: opened.elapsedMs,
      before,
      after,
      closed,
      perListener: {
        rssKiB: (after.rss - before.rss) / 1024 / n,
        heapUsedKiB: (after.heapUsed - before.heapUsed) / 1024 / n,
        heapTotalKiB: (after.heapTotal - before.heapTotal) / 1024 / n,
        externalKiB: (after.external - before.external) / 1024 / n,
        rssKeptKiB: (closed.rss - before.rss) / 1024 / n,
      },
      heapGrowth: growth,
      snapshots,
    };
  } finally {
    clients.kill();
    await server.stop();
  }
}

async function memory(server: MeasuredServer): Promise<ServerMemory> {
  const answer = await server.probe.ask({ type: 'memory' });
  if (answer.type !== 'memory') throw new Error('listeners server did not report its memory');
  return answer;
}

/** Polls the server until `n` listeners are subscribed (0: all gone); fails after a minute. */
async function waitForListeners(server: MeasuredServer, n: number): Promise<void> {
  const deadline = performance.now() + 60_000;
  for (;;) {
    const now = await server.listeners();
    if (now === n) return;
    if (performance.now() > deadline) throw new Error(`listeners server: waited a minute for ${n} listeners, has ${now}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Runs this scenario again under `ulimit -n` (children inherit it); exit 97 if the hard limit is lower. */
async function rerunWithFdLimit(argv: string[], fds: number): Promise<number> {
  const node = [process.execPath, '--conditions=e2a-source', '--import', 'tsx', join(import.meta.dirname, 'run.ts'), 'listeners', ...argv];
  const child = spawn('sh', ['-c', `ulimit -n ${fds} || exit 97; exec "$@"`, 'sh', ...node], { stdio: 'inherit' });
  const code = await new Promise<number | null>((resolve) => child.once('exit', (c) => resolve(c)));
  if (code === 97) process.stderr.write(`bench listeners: could not raise the open-file limit to ${fds} (ulimit -Hn is lower); use fewer --listeners or raise the hard limit\n`);
  return code ?? 1;
}

function printListeners(results: ListenersServerResult[], machine: { cores: number; cpu: string; node: string; busyCoresBefore: number }): void {
  const out: string[] = [];
  out.push(`machine: ${machine.cores} cores (${machine.cpu}), node ${machine.node}; busy cores before: ${machine.busyCoresBefore}`);
  const bare = results.find((r) => r.kind === 'bare');
  const ratio = (x: number, base: number | undefined) => (base && base > 0 ? `${fixed(x / base, 2)}×` : '–');
  out.push('', 'Idle WebSocket listeners: server process memory growth per listener, after forced full GCs (KiB); "kept after close": RSS still above the baseline once all have closed, per listener');
  out.push(
    formatTable(
      ['server', 'listeners', 'connect s', 'RSS before→after→closed MiB', 'RSS / listener', 'RSS kept after close', 'heapUsed / listener', 'heapTotal / listener', 'external / listener', 'RSS ratio to ws', 'heapUsed ratio to ws'],
      results.map((r) => [
        r.engine ? `gateway (${r.engine})` : 'bare ws',
        `${r.ready}/${r.requested}`,
        fixed(r.connectMs / 1000, 1),
        `${fixed(r.before.rss / MiB, 0)}→${fixed(r.after.rss / MiB, 0)}→${fixed(r.closed.rss / MiB, 0)}`,
        fixed(r.perListener.rssKiB, 2),
        fixed(r.perListener.rssKeptKiB, 2),
        fixed(r.perListener.heapUsedKiB, 2),
        fixed(r.perListener.heapTotalKiB, 2),
        fixed(r.perListener.externalKiB, 2),
        ratio(r.perListener.rssKiB, bare?.perListener.rssKiB),
        ratio(r.perListener.heapUsedKiB, bare?.perListener.heapUsedKiB),
      ]),
    ),
  );
  for (const r of results) if (r.failures.length) out.push(`  ${r.engine ?? 'bare'} failures: ${r.failures.slice(0, 3).join(' | ')}`);
  for (const r of results) {
    if (!r.heapGrowth) continue;
    out.push('', `${r.engine ? `gateway (${r.engine})` : 'bare ws'}: heap objects added per listener (self size; ${r.snapshots.join(', ')})`);
    out.push(formatTable(['kind and name', 'count', 'bytes'], r.heapGrowth.map((g) => [g.group, fixed(g.countPerUnit, 2), fixed(g.bytesPerUnit, 0)])));
  }
  process.stdout.write(`${out.join('\n')}\n`);
}
