/**
 * `npm run bench -- startup [--runner compiled,tsx,tsx-cold] [--engine pglite|postgres|both] [--runs 5]`:
 * how long the processes users and tests start take to be useful, each run in a fresh process:
 * - the gateway (`e2a-server serve`) from spawn to its "e2a listening" line, on a fresh database
 *   (first start: schema and admin account) and on the same one again (restart), and its RSS then;
 * - `e2a-server migrate --verify` on a current schema, spawn to exit;
 * - `e2a --help`, spawn to exit;
 * - `e2a mcp`, spawn to the answer to its first `tools/list` (an MCP client's handshake included);
 * - a worker thread of the message parser (relay/src/worker-pool.ts): a fresh pool's first task,
 *   which starts the thread, against its second (a small message, sent to the thread on purpose).
 * `compiled` runs what `npm start` and the tests run (api/dist, cli/bin); `tsx` compiles the
 * TypeScript sources at run time instead, as every process did before the build, with tsx's
 * transform cache (in the temp directory) warm; `tsx-cold` without it (TSX_DISABLE_CACHE=1), as the
 * first process after an edit or on a fresh machine.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { COMMON_OPTIONS, int, machineInfo, saveResults, startResults } from './bench-cli.js';
import { createFreshPostgres, resolveEngines, type Engine } from './bench-database.js';
import { startBenchGateway } from './bench-gateway.js';
import { machineBusyCores } from './cpu-usage.js';
import { MiB } from './rss-sampler.js';
import { fixed, formatTable } from './table.js';

export const STARTUP_USAGE = 'usage: npm run bench -- startup [--runner compiled,tsx,tsx-cold] [--engine pglite|postgres|both] [--runs 5]';

const ROOT = join(import.meta.dirname, '..');
const RUNNERS = ['compiled', 'tsx', 'tsx-cold'] as const;
type Runner = (typeof RUNNERS)[number];

/** Node arguments that start the server and the CLI (its arguments follow), and extra environment, per runner. */
function commands(runner: Runner): { server: string[]; cli: string[]; env: Record<string, string> } {
  if (runner === 'compiled') return { server: [join(ROOT, 'api/dist/main.js')], cli: [join(ROOT, 'cli/bin/e2a.js')], env: {} };
  const tsx = ['--conditions=e2a-source', '--import', 'tsx'];
  const cliMain = pathToFileURL(join(ROOT, 'cli/src/main.ts')).href;
  return {
    server: [...tsx, join(ROOT, 'api/src/main.ts')],
    // `--` so that node leaves the CLI's own options (--help) to it.
    cli: [...tsx, '--input-type=module', '-e', `const { run } = await import(${JSON.stringify(cliMain)}); process.exit(await run(process.argv.slice(1)));`, '--'],
    env: runner === 'tsx-cold' ? { TSX_DISABLE_CACHE: '1' } : {},
  };
}

interface Sample {
  measure: string;
  runner: Runner;
  engine: Engine | '';
  ms: number[];
  rssMiB: number[];
}

function baseEnv(extra: Record<string, string>): Record<string, string> {
  return { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', E2A_LOG_LEVEL: 'info', ...extra };
}

/** Spawn to exit, in ms; a non-zero exit fails the bench with the output. */
function timeToExit(args: string[], env: Record<string, string>): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code) => (code === 0 ? resolve(performance.now() - started) : reject(new Error(`${args.join(' ')} exited ${code}:\n${out}`))));
  });
}

/** Spawn to the "e2a listening" line, in ms, and the process's RSS then; stops it with SIGTERM. */
function timeToListening(args: string[], env: Record<string, string>): Promise<{ ms: number; rssMiB: number }> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, [...args, 'serve'], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let result: { ms: number; rssMiB: number } | null = null;
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
      if (result || !out.includes('"e2a listening"')) return;
      const ms = performance.now() - started;
      const rss = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      result = { ms, rssMiB: rss ? (Number(rss[1]) * 1024) / MiB : NaN };
      child.kill('SIGTERM');
    });
    child.stderr.on('data', (d: Buffer) => (out += d.toString()));
    child.on('exit', (code, signal) => (result && code === 0 ? resolve(result) : reject(new Error(`serve exited ${code ?? signal} ${result ? 'after' : 'before'} listening:\n${out}`))));
  });
}

async function measureGateway(runner: Runner, engine: Engine, runs: number): Promise<Sample[]> {
  const first: Sample = { measure: 'gateway: first start → listening', runner, engine, ms: [], rssMiB: [] };
  const again: Sample = { measure: 'gateway: restart → listening', runner, engine, ms: [], rssMiB: [] };
  const verify: Sample = { measure: 'migrate --verify', runner, engine, ms: [], rssMiB: [] };
  const { server, env: runnerEnv } = commands(runner);
  for (let i = 0; i < runs; i++) {
    const dataDir = mkdtempSync(join(tmpdir(), 'e2a-bench-startup-'));
    const postgres = engine === 'postgres' ? await createFreshPostgres() : null;
    try {
      const env = baseEnv({ ...runnerEnv, E2A_DATA_DIR: dataDir, E2A_DATABASE_URL: postgres?.url ?? '', E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0', E2A_SMTP_LISTEN_ADDR: '127.0.0.1:0' });
      for (const [sample, run] of [
        [first, () => timeToListening(server, env)],
        [again, () => timeToListening(server, env)],
        [verify, async () => ({ ms: await timeToExit([...server, 'migrate', '--verify'], env), rssMiB: NaN })],
      ] as const) {
        const { ms, rssMiB } = await run();
        sample.ms.push(ms);
        sample.rssMiB.push(rssMiB);
      }
    } finally {
      await postgres?.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  }
  return [first, again, verify];
}

async function measureCli(runner: Runner, runs: number): Promise<Sample[]> {
  const help: Sample = { measure: 'e2a --help', runner, engine: '', ms: [], rssMiB: [] };
  const mcp: Sample = { measure: 'e2a mcp → first tools/list answer', runner, engine: '', ms: [], rssMiB: [] };
  const { cli, env: runnerEnv } = commands(runner);
  const configDir = mkdtempSync(join(tmpdir(), 'e2a-bench-cli-'));
  const bench = await startBenchGateway('pglite');
  try {
    const env = baseEnv({ ...runnerEnv, E2A_CLI_CONFIG_DIR: configDir, E2A_API_URL: bench.gateway.httpUrl, E2A_API_KEY: bench.api.key });
    for (let i = 0; i < runs; i++) {
      help.ms.push(await timeToExit([...cli, '--help'], env));
      const started = performance.now();
      const client = new Client({ name: 'e2a-bench', version: '1' });
      await client.connect(new StdioClientTransport({ command: process.execPath, args: [...cli, 'mcp'], cwd: ROOT, env, stderr: 'ignore' }));
      const { tools } = await client.listTools();
      mcp.ms.push(performance.now() - started);
      await client.close();
      if (tools.length === 0) throw new Error('e2a mcp listed no tools');
    }
  } finally {
    await bench.close();
    rmSync(configDir, { recursive: true, force: true });
  }
  return [help, mcp];
}

async function measureWorker(runner: Runner, runs: number): Promise<Sample[]> {
  const first: Sample = { measure: 'worker thread: start + first parse', runner, engine: '', ms: [], rssMiB: [] };
  const next: Sample = { measure: 'worker thread: next parse', runner, engine: '', ms: [], rssMiB: [] };
  // The compiled module starts its worker from dist/*.js, the source module from src/*.ts under tsx.
  const module = runner === 'compiled' ? join(ROOT, 'relay/dist/mime/message-parser.js') : join(ROOT, 'relay/src/mime/message-parser.ts');
  const { createMessageParser } = (await import(pathToFileURL(module).href)) as typeof import('../relay/src/mime/message-parser.js');
  const raw = Buffer.from('From: a@example.com\r\nTo: b@example.com\r\nSubject: hi\r\n\r\nhello\r\n');
  const { env } = commands(runner);
  for (let i = 0; i < runs; i++) {
    // A thread copies process.env when it starts.
    Object.assign(process.env, env);
    const parser = createMessageParser({ offThreadFromTextBytes: 0 });
    try {
      let started = performance.now();
      await parser.parse(raw, raw.length);
      first.ms.push(performance.now() - started);
      started = performance.now();
      await parser.parse(raw, raw.length);
      next.ms.push(performance.now() - started);
    } finally {
      await parser.close();
      for (const key of Object.keys(env)) delete process.env[key];
    }
  }
  return [first, next];
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;
const range = (xs: number[], digits: number): string => (xs.some(Number.isFinite) ? `${fixed(Math.min(...xs), digits)}–${fixed(Math.max(...xs), digits)}` : '–');

export async function startupMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({ args: argv, options: { ...COMMON_OPTIONS, runner: { type: 'string', default: 'compiled,tsx' }, runs: { type: 'string', default: '5' } } });
  if (values.help) {
    process.stdout.write(`${STARTUP_USAGE}\n`);
    return 0;
  }
  const runners = values.runner.split(',').map((r) => r.trim());
  const unknown = runners.find((r) => !(RUNNERS as readonly string[]).includes(r));
  if (unknown !== undefined) throw new Error(`--runner takes ${RUNNERS.join(', ')} (comma-separated), not ${unknown}`);
  const engines = resolveEngines(values.engine);
  const runs = int('runs', values.runs, 1);
  const stamp = startResults();
  const busyBefore = await machineBusyCores(1000);
  const samples: Sample[] = [];
  for (const runner of runners as Runner[]) {
    for (const engine of engines) {
      process.stderr.write(`bench startup: ${runner}, gateway on ${engine} …\n`);
      samples.push(...(await measureGateway(runner, engine, runs)));
    }
    process.stderr.write(`bench startup: ${runner}, CLI …\n`);
    samples.push(...(await measureCli(runner, runs)));
    process.stderr.write(`bench startup: ${runner}, worker thread …\n`);
    samples.push(...(await measureWorker(runner, runs)));
  }
  process.stdout.write(`\nstartup: ${runs} runs each, spawn → ready, ms (machine busy before: ${fixed(busyBefore, 2)} cores)\n`);
  process.stdout.write(
    `${formatTable(
      ['measure', 'runner', 'engine', 'median ms', 'min–max ms', 'RSS MiB'],
      samples.map((s) => [s.measure, s.runner, s.engine || '–', fixed(median(s.ms), 0), range(s.ms, 0), s.rssMiB.some(Number.isFinite) ? `${fixed(median(s.rssMiB), 0)} (${range(s.rssMiB, 0)})` : '–']),
    )}\n`,
  );
  saveResults('startup', stamp, { ...machineInfo(), busyBefore }, samples);
  return 0;
}
