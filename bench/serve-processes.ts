/**
 * `e2a-server serve` from api/dist as separate processes on one PostgreSQL database, for benches
 * that measure them from outside: one gateway with `--processes N`, or several replicas of one
 * process each. The sender's DNS (SPF, DMARC, a 2048-bit DKIM key) is a real UDP server on
 * loopback (`dns.servers`), so verification is what production does, without the network.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { generateDkimKey, startDnsServer, type DkimKey, type TestDnsServer } from '@e2a/relay/testing';
import { createFreshPostgres } from './bench-database.js';
import { benchApi, SENDER_DOMAIN, senderZone, type BenchApi } from './bench-gateway.js';
import { bootstrapServer, compiledServerEnv } from './compiled-gateway.js';
import { childPids } from './process-cpu.js';

const ROOT = join(import.meta.dirname, '..');
const MAIN = join(ROOT, 'api/dist/main.js');

/** A fresh database, the sender's DNS and an account: what every server of one run shares. */
export interface Deployment {
  databaseUrl: string;
  env: Record<string, string>;
  senderKey: DkimKey;
  /** The bench account's API key. */
  key: string;
  close(): Promise<void>;
}

export async function createDeployment(): Promise<Deployment> {
  const postgres = await createFreshPostgres();
  let dns: TestDnsServer | null = null;
  try {
    const senderKey = generateDkimKey(SENDER_DOMAIN, 'bench', 2048);
    dns = await startDnsServer(senderZone(senderKey));
    const env = { ...compiledServerEnv({ databaseUrl: postgres.url }), E2A_DNS_SERVERS: dns.address };
    const key = bootstrapServer(env);
    const openDns = dns;
    return {
      databaseUrl: postgres.url,
      env,
      senderKey,
      key,
      async close() {
        await openDns.close();
        await postgres.drop();
      },
    };
  } catch (err) {
    await dns?.close();
    await postgres.drop();
    throw err;
  }
}

export interface ServeProcesses {
  child: ChildProcess;
  smtpPort: number;
  httpUrl: string;
  api: BenchApi;
  /** Every process serving: the one started, and with --processes N its N children. */
  pids(): number[];
  /** SIGTERM (the graceful stop) and its exit. */
  stop(): Promise<void>;
}

/**
 * `serve` (with `--processes N` when N > 1) on the deployment's database; `applicationName` tags its
 * PostgreSQL connections (pg_stat_activity), so a bench can find its backends.
 */
export async function startServe(deployment: Deployment, processes: number, applicationName: string): Promise<ServeProcesses> {
  const url = new URL(deployment.databaseUrl);
  url.searchParams.set('application_name', applicationName);
  const args = processes > 1 ? ['serve', '--processes', String(processes)] : ['serve'];
  const child = spawn(process.execPath, [MAIN, ...args], { cwd: ROOT, env: { ...deployment.env, E2A_DATABASE_URL: url.toString() }, stdio: ['ignore', 'pipe', 'pipe'] });
  const ready = processes > 1 ? '"e2a processes listening"' : '"e2a listening"';
  try {
    const listening = await new Promise<{ http: string; smtp: string }>((resolve, reject) => {
      let out = '';
      let first: { http: string; smtp: string } | null = null;
      const onData = (d: Buffer) => {
        out += d.toString();
        for (const line of out.split('\n')) {
          if (!first && line.includes('"e2a listening"')) first = JSON.parse(line) as { http: string; smtp: string };
          if (first && line.includes(ready)) resolve(first);
        }
        // After the lines, the log is read and dropped: a pipe nobody reads would stop the gateway.
        if (out.length > 1_000_000) out = out.slice(-10_000);
      };
      child.stdout!.on('data', onData);
      child.stderr!.on('data', onData);
      child.once('exit', (code) => reject(new Error(`e2a-server ${args.join(' ')} exited (${code}) before listening:\n${out.slice(-4000)}`)));
    });
    return {
      child,
      smtpPort: Number(listening.smtp.split(':').pop()),
      httpUrl: listening.http,
      api: benchApi(listening.http, deployment.key),
      pids: () => [child.pid!, ...(processes > 1 ? childPids(child.pid!) : [])],
      async stop() {
        if (child.exitCode !== null || child.signalCode !== null) return;
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      },
    };
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
}

export const BENCH_SENDER = `alice@${SENDER_DOMAIN}`;
