/**
 * `npm run bench -- outbound [--engine pglite|postgres|both] [--messages 2000] [--concurrency 32] [--warmup 100]`
 *
 * Sends through the HTTP API (POST /v1/agents/{address}/messages, 202) to a local SMTP sink standing
 * in for the upstream (outbound_smtp.mode upstream, pooled). Reports accepted sends/s, API latency
 * (request → 202) and end-to-end latency (202 → the sink has the message), p50/p99. Production
 * settings otherwise: 2048-bit DKIM signing, sealed storage, the default outbound worker.
 * Targets: ≥ 300 accepted sends/s and p99 < 200 ms end to end on PostgreSQL.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { pino } from 'pino';
import { loadConfig } from '../api/src/config.js';
import { createGateway } from '../api/src/gateway.js';
import { startSmtpSink } from '../api/src/testing/smtp-sink.js';
import { createFreshPostgres, resolveEngines, type Engine } from './bench-database.js';
import { summarise, type LatencySummary } from './percentiles.js';

const RESULTS_DIR = join(import.meta.dirname, 'results');

interface OutboundResult {
  engine: Engine;
  messages: number;
  concurrency: number;
  acceptedPerSecond: number;
  deliveredPerSecond: number;
  apiMs: LatencySummary;
  endToEndMs: LatencySummary;
}

async function runOutbound(engine: Engine, opts: { messages: number; concurrency: number; warmup: number }): Promise<OutboundResult> {
  const arrived = new Map<string, number>();
  const sink = await startSmtpSink((_n, m) => {
    const id = /^Message-ID: <([^>]+)>/im.exec(m.raw.toString('latin1'))?.[1];
    if (id) arrived.set(id, performance.now());
    return null;
  });
  const fresh = engine === 'postgres' ? await createFreshPostgres() : null;
  const dataDir = mkdtempSync(join(tmpdir(), 'e2a-bench-outbound-'));
  const config = loadConfig({
    env: {
      E2A_ENV: 'test',
      E2A_DATA_DIR: dataDir,
      E2A_DATABASE_URL: fresh?.url ?? '',
      E2A_DATABASE_POOL_SIZE: '20',
      E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0',
      E2A_SMTP_LISTEN_ADDR: '127.0.0.1:0',
      E2A_SHARED_DOMAIN: 'agents.bench',
      E2A_SIGNING_HMAC_SECRET: 'bench-hmac-secret-0123456789abcdef0123',
      E2A_STORAGE_ENCRYPTION_KEY: Buffer.alloc(32, 9).toString('base64'),
      E2A_OUTBOUND_SMTP_MODE: 'upstream',
      E2A_OUTBOUND_SMTP_HOST: sink.host,
      E2A_OUTBOUND_SMTP_PORT: String(sink.port),
      E2A_OUTBOUND_SMTP_REQUIRE_TLS: 'false',
      E2A_OUTBOUND_SMTP_POOL_SIZE: '8',
      E2A_OUTBOUND_MAX_RECIPIENTS: '50',
    },
  });
  const gateway = await createGateway({ config, logger: pino({ level: 'silent' }), resolver: async () => Promise.reject(Object.assign(new Error('no dns'), { code: 'ENOTFOUND' })) });
  try {
    const { apiKey } = await gateway.accounts.bootstrap('bench@example.com');
    const headers = { authorization: `Bearer ${apiKey.key}`, 'content-type': 'application/json' };
    await fetch(`${gateway.httpUrl}/v1/agents`, { method: 'POST', headers, body: JSON.stringify({ local_part: 'sender', display_name: 'Bench Sender' }) });
    const url = `${gateway.httpUrl}/v1/agents/sender@agents.bench/messages`;
    const body = (i: number) => JSON.stringify({ to: [`user${i % 50}@example.com`], subject: `bench ${i}`, text: `message ${i}\n${'lorem ipsum '.repeat(100)}` });

    const sendAll = async (count: number, offset: number) => {
      const accepted: Array<{ id: string; at: number; api: number }> = [];
      let next = 0;
      const started = performance.now();
      await Promise.all(
        Array.from({ length: opts.concurrency }, async () => {
          while (next < count) {
            const i = offset + next++;
            const t0 = performance.now();
            const res = await fetch(url, { method: 'POST', headers, body: body(i) });
            const json = (await res.json()) as { message_id_header: string };
            if (res.status !== 202) throw new Error(`send ${i}: HTTP ${res.status} ${JSON.stringify(json)}`);
            const t1 = performance.now();
            accepted.push({ id: json.message_id_header, at: t1, api: t1 - t0 });
          }
        }),
      );
      const acceptedAt = performance.now();
      while (accepted.some((a) => !arrived.has(a.id))) await new Promise((r) => setTimeout(r, 5));
      return { accepted, started, acceptedAt, deliveredAt: Math.max(...accepted.map((a) => arrived.get(a.id)!)) };
    };

    if (opts.warmup > 0) await sendAll(opts.warmup, 1_000_000);
    const run = await sendAll(opts.messages, 0);
    return {
      engine,
      messages: opts.messages,
      concurrency: opts.concurrency,
      acceptedPerSecond: Math.round((opts.messages / (run.acceptedAt - run.started)) * 1000),
      deliveredPerSecond: Math.round((opts.messages / (run.deliveredAt - run.started)) * 1000),
      apiMs: summarise(run.accepted.map((a) => a.api)),
      endToEndMs: summarise(run.accepted.map((a) => arrived.get(a.id)! - a.at)),
    };
  } finally {
    await gateway.stop();
    await sink.close();
    await fresh?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

const fmt = (s: LatencySummary) => `p50 ${s.p50.toFixed(1)} ms  p99 ${s.p99.toFixed(1)} ms  max ${s.max.toFixed(1)} ms`;

export async function outboundMain(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      engine: { type: 'string' },
      messages: { type: 'string', default: '2000' },
      concurrency: { type: 'string', default: '32' },
      warmup: { type: 'string', default: '100' },
    },
  });
  const opts = { messages: Number(values.messages), concurrency: Number(values.concurrency), warmup: Number(values.warmup) };
  const results: OutboundResult[] = [];
  for (const engine of resolveEngines(values.engine)) {
    process.stderr.write(`bench outbound: ${engine} …\n`);
    const r = await runOutbound(engine, opts);
    results.push(r);
    process.stdout.write(
      `${engine}: ${r.messages} sends, concurrency ${r.concurrency}\n` +
        `  accepted  ${r.acceptedPerSecond} sends/s   API (request → 202)      ${fmt(r.apiMs)}\n` +
        `  delivered ${r.deliveredPerSecond} sends/s   end to end (202 → sink)  ${fmt(r.endToEndMs)}\n`,
    );
  }
  mkdirSync(RESULTS_DIR, { recursive: true });
  const file = join(RESULTS_DIR, `outbound-${new Date().toISOString().replace(/[:.]/g, '-')}.json`);
  const machine = { cores: availableParallelism(), cpu: cpus()[0]?.model ?? 'unknown', node: process.version };
  writeFileSync(file, `${JSON.stringify({ scenario: 'outbound', machine, at: new Date().toISOString(), results }, null, 2)}\n`);
  process.stdout.write(`full results: ${file}\n`);
  return 0;
}
