/**
 * `bench delivery`: from a committed inbound message to the agent — SMTP 250 → webhook received,
 * SMTP 250 → WebSocket frame, webhook deliveries per second draining a backlog, and the gateway's
 * RSS with thousands of idle WebSocket listeners. One engine per call.
 *
 * The gateway runs in THIS process (createGateway, fake DNS as in the inbound bench, webhooks
 * allowed to dial 127.0.0.1). Everything outside it — the open-loop SMTP sender, the webhook
 * receiver and all WebSocket clients — is one child process (delivery-load.ts), which stamps both
 * the 250 and the arrival with its own clock.
 */
import { spawnSync } from 'node:child_process';
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sql } from 'kysely';
import { until } from '../api/src/testing/until.js';
import { startBenchGateway, SENDER_DOMAIN, type BenchGateway } from './bench-gateway.js';
import { startProfile } from './cpu-profile.js';
import { cpuSince, machineBusyCores, markCpu } from './cpu-usage.js';
import { DELIVERY_ATTRIBUTION } from './delivery-profile.js';
import type { AnchorCommand, AnchorMode, AnchorReport, DrainReport, LatencyReport, ListenersReport, LoadCommand, LoadEvent } from './delivery-protocol.js';
import type { AnchorResult, DeliveryOptions, DeliveryResult, LatencyResult, ListenersResult, ThroughputResult } from './delivery-results.js';
import { forceGc } from './gc.js';
import { forkLoadChild, type LoadChild } from './load-child.js';
import { summarise } from './percentiles.js';
import { markPostgresCpu } from './postgres-cpu.js';
import { maxRssBytes, MiB, sampleRss } from './rss-sampler.js';
import { installSqlStats, takeSqlStats } from './sql-stats.js';

type Load = LoadChild<LoadCommand, LoadEvent>;

export async function runDelivery(opts: DeliveryOptions): Promise<DeliveryResult> {
  const runId = `${opts.engine}${Date.now().toString(36)}`;
  if (opts.engine === 'postgres') installSqlStats();
  const bench = await startBenchGateway(opts.engine, {
    // The receiver is on 127.0.0.1 over http://; production refuses both.
    E2A_WEBHOOKS_ALLOW_PRIVATE_TARGETS: 'true',
    // The open-loop sender opens a connection whenever all of its own are busy; on a loaded machine
    // that passes the default 20 per client network, and the phase would end in a 421.
    E2A_SMTP_LIMITS_MAX_CONNECTIONS_PER_CLIENT: '1000',
    ...(opts.webhookConcurrency ? { E2A_WEBHOOKS_CONCURRENCY: String(opts.webhookConcurrency) } : {}),
  });
  const { gateway, api, senderKey: key, postgresDatabase: dbName } = bench;
  let load: Load | null = null;
  try {
    const whAgent = await api<{ id: string; address: string }>('POST', '/v1/agents', { local_part: 'hooked' });
    const wsAgent = await api<{ id: string; address: string }>('POST', '/v1/agents', { local_part: 'listened' });

    const needFds = opts.listeners + 200;
    const fdLimit = openFileLimit();
    load = startLoadChild(needFds);
    const initialised = await load.ask({
      type: 'init',
      smtpHost: gateway.smtpHost,
      smtpPort: gateway.smtpPort,
      wsBase: gateway.httpUrl.replace(/^http/, 'ws'),
      key,
      from: `alice@${SENDER_DOMAIN}`,
      sizeBytes: opts.sizeBytes,
    });
    if (initialised.type !== 'initialised') throw new Error('load child did not initialise');
    const receiverUrl = initialised.receiverUrl;

    // The latency webhook sees only the hooked agent's events; the throughput webhooks start
    // disabled so the latency phases queue nothing for them.
    const latencyHook = await api<{ id: string; secret: string }>('POST', '/v1/webhooks', {
      url: `${receiverUrl}/lat`,
      filters: { agent_addresses: [whAgent.address] },
      description: 'bench latency',
    });
    const drainHooks: Array<{ id: string; secret: string; path: string }> = [];
    for (let k = 0; k < (opts.backlog > 0 ? opts.backlogWebhooks : 0); k++) {
      const path = `/tp/${k}`;
      const hook = await api<{ id: string; secret: string }>('POST', '/v1/webhooks', { url: `${receiverUrl}${path}`, enabled: false, description: `bench drain ${k}` });
      drainHooks.push({ ...hook, path });
    }
    await load.ask({ type: 'secrets', secrets: Object.fromEntries([['/lat', latencyHook.secret], ...drainHooks.map((h) => [h.path, h.secret])]) });

    // ---- 1. idle listeners: RSS, on the fresh gateway ----------------------------------------
    const listeners = opts.listeners > 0 ? await measureListeners(bench, load, opts, fdLimit) : null;

    // ---- 2. latency: SMTP 250 → webhook / WebSocket frame ---------------------------------------
    const latency: LatencyResult[] = [];
    for (const channel of opts.channels) {
      const agent = channel === 'webhook' ? whAgent : wsAgent;
      const base = { type: 'latency' as const, channel, to: agent.address, drainMs: 10_000, ...(channel === 'ws' ? { listen: { address: wsAgent.address, key: api.key } } : {}) };
      if (opts.warmupSeconds > 0) {
        await load.ask({ ...base, phaseId: `${runId}-${channel}-warm`, rate: Math.min(...opts.rates), seconds: opts.warmupSeconds });
        const warm = (await load.ask({ type: 'go' })) as LatencyReport;
        if (warm.acked === 0) throw new Error(`warm-up for ${channel}: nothing acknowledged (${warm.failures.join('; ')})`);
      }
      for (const rate of opts.rates) {
        process.stderr.write(`  ${opts.engine} ${channel} @ ${rate} msg/s …\n`);
        // The child builds and signs every message first; the clocks start at `go`.
        await load.ask({ ...base, phaseId: `${runId}-${channel}-${rate}`, rate, seconds: opts.seconds });
        const busyCoresBefore = await busyCores();
        forceGc();
        const stopProfile = opts.profilePrefix ? await startProfile(DELIVERY_ATTRIBUTION) : null;
        const pgSince = opts.engine === 'postgres' ? markPostgresCpu(dbName) : null;
        takeSqlStats();
        const mark = markCpu();
        const report = (await load.ask({ type: 'go' })) as LatencyReport;
        const sqlStats = takeSqlStats();
        const cpu = cpuSince(mark);
        const pgMs = pgSince ? pgSince() : null;
        const profile = stopProfile ? await stopProfile(`${opts.profilePrefix}-${channel}-${rate}.cpuprofile`) : null;
        latency.push({
          channel,
          rate,
          sent: report.sent,
          acked: report.acked,
          achievedRate: report.achievedRate,
          missing: report.missing,
          duplicates: report.duplicates,
          failures: report.failures,
          deliveryMs: summarise(report.deliveryMs.filter((x) => !Number.isNaN(x))),
          smtpMs: summarise(report.smtpMs),
          sendLagMs: summarise(report.sendLagMs),
          smtpConnections: report.smtpConnections,
          signatures: report.signatures,
          cpu: { ...cpu, gatewayMsPerMessage: cpu.processMs / Math.max(1, report.acked), childCpuMs: report.childCpuMs, postgresCpuMs: pgMs },
          busyCoresBefore,
          sql: sqlStats,
          profile,
        });
      }
    }

    // ---- 3. webhook throughput: drain a backlog -------------------------------------------------
    const throughput = opts.backlog > 0 ? await measureDrain(bench, load, opts, latencyHook.id, drainHooks) : null;

    // ---- 4. the anchor: the same requests from a bare keep-alive client -----------------------
    const anchor = opts.anchor && throughput ? await measureAnchor(load, receiverUrl, throughput, `${runId}`) : null;

    load.tell({ type: 'exit' });
    return { engine: opts.engine, options: opts, listeners, latency, throughput, anchor, maxRssMiB: maxRssBytes() / MiB };
  } finally {
    load?.kill();
    await bench.close();
  }
}

async function measureListeners({ gateway, api }: BenchGateway, load: Load, opts: DeliveryOptions, fdLimit: number): Promise<ListenersResult> {
  const agents = Math.min(opts.listenerAgents, opts.listeners);
  const addresses: string[] = [];
  for (let i = 0; i < agents; i++) addresses.push((await api<{ address: string }>('POST', '/v1/agents', { local_part: `idle-${i}` })).address);
  const perAddress = Math.ceil(opts.listeners / agents);
  process.stderr.write(`  ${opts.engine} ${perAddress * agents} idle listeners over ${agents} agents …\n`);
  // Warm the upgrade path (JIT, ws and session code) with a few, then close them, then baseline.
  await load.ask({ type: 'listeners', addresses: addresses.slice(0, 5), perAddress: 2, key: api.key, inFlight: 10 });
  await load.ask({ type: 'close-listeners' });
  await until('the warm-up listeners to close', () => gateway.realtime.server.connectionCount === 0, 10_000);
  const gcForced = settle();
  await new Promise((r) => setTimeout(r, 300));
  settle();
  const rssBefore = process.memoryUsage.rss();
  const heapBefore = process.memoryUsage().heapUsed;
  const sampler = sampleRss(50);
  const report = (await load.ask({ type: 'listeners', addresses, perAddress, key: api.key, inFlight: 50 })) as ListenersReport;
  // Let replays (empty) and auth finish, then drop the garbage the connecting made.
  await new Promise((r) => setTimeout(r, 1000));
  settle();
  await new Promise((r) => setTimeout(r, 300));
  settle();
  const rssAfter = process.memoryUsage.rss();
  const heapAfter = process.memoryUsage().heapUsed;
  const peak = sampler.stop().peak;
  const serverConnections = gateway.realtime.server.connectionCount;
  await load.ask({ type: 'close-listeners' });
  await until('the idle listeners to close', () => gateway.realtime.server.connectionCount === 0, 30_000);
  return {
    requested: report.requested,
    ready: report.ready,
    agents,
    failures: report.failures,
    connectMs: report.elapsedMs,
    rssBeforeMiB: rssBefore / MiB,
    rssAfterMiB: rssAfter / MiB,
    peakSampledMiB: peak / MiB,
    heapBeforeMiB: heapBefore / MiB,
    heapAfterMiB: heapAfter / MiB,
    perListenerKiB: (rssAfter - rssBefore) / 1024 / Math.max(1, report.ready),
    serverConnections,
    fdLimit,
    gcForced,
  };
}

async function measureDrain(
  { gateway, api, config, userId, postgresDatabase: dbName }: BenchGateway,
  load: Load,
  opts: DeliveryOptions,
  latencyHookId: string,
  hooks: Array<{ id: string; path: string }>,
): Promise<ThroughputResult> {
  const db = gateway.database.db;
  const ids = hooks.map((h) => h.id);
  await api('PATCH', `/v1/webhooks/${latencyHookId}`, { enabled: false });
  for (const h of hooks) await api('PATCH', `/v1/webhooks/${h.id}`, { enabled: true });
  // The backlog: the account's events × the drain webhooks, queued for a day from now (so nothing
  // is due yet), then made due in one UPDATE while the receiver counts.
  const perHook = Math.ceil(opts.backlog / hooks.length);
  const future = new Date(Date.now() + 24 * 3600 * 1000);
  const queued = await sql<{ id: string }>`
    INSERT INTO webhook_deliveries (id, webhook_id, event_id, status, next_attempt_at, created_at)
    SELECT e2a_delivery_id(w.id, e.seq), w.id, e.id, 'pending', ${future}::timestamptz, now()
      FROM (SELECT id, seq FROM events WHERE user_id = ${userId} ORDER BY seq LIMIT ${perHook}) AS e
     CROSS JOIN webhooks AS w
     WHERE w.id = ANY(${ids}::text[])
    ON CONFLICT (webhook_id, event_id) DO UPDATE SET status = 'pending', attempts = 0, next_attempt_at = ${future}::timestamptz,
      locked_until = NULL, last_status = NULL, last_error = NULL, completed_at = NULL
    RETURNING id`.execute(db);
  const expected = queued.rows.length;
  process.stderr.write(`  ${opts.engine} draining ${expected} webhook deliveries over ${hooks.length} webhooks …\n`);
  const busyCoresBefore = await busyCores();
  forceGc();
  const armed = await load.ask({ type: 'arm-drain', expected, timeoutMs: 300_000, record: opts.anchor });
  if (armed.type !== 'armed') throw new Error('load child did not arm the drain');
  const stopProfile = opts.profilePrefix ? await startProfile(DELIVERY_ATTRIBUTION) : null;
  const pgSince = opts.engine === 'postgres' ? markPostgresCpu(dbName) : null;
  const mark = markCpu();
  takeSqlStats();
  // Every TCP connection this process opens during the drain (node:net publishes each): webhook
  // POSTs, and any new database connection.
  let connectionsOpened = 0;
  const onSocket = () => connectionsOpened++;
  subscribe('net.client.socket', onSocket);
  const drained = load.wait();
  await sql`UPDATE webhook_deliveries SET next_attempt_at = ${new Date()}::timestamptz WHERE webhook_id = ANY(${ids}::text[]) AND status = 'pending'`.execute(db);
  // A notice announcing queued deliveries wakes the worker ("<agent> <seq> <type> <deliveries>" on
  // the deliveries channel, as the events trigger writes it); the poll would within
  // webhooks.poll_interval_ms anyway.
  await sql`SELECT pg_notify('e2a_deliveries', ' 0 bench.drain 1')`.execute(db);
  const report = (await drained) as DrainReport;
  const cpu = cpuSince(mark);
  unsubscribe('net.client.socket', onSocket);
  const sqlStats = takeSqlStats();
  const pgMs = pgSince ? pgSince() : null;
  const profile = stopProfile ? await stopProfile(`${opts.profilePrefix}-drain.cpuprofile`) : null;
  // Each 2xx is recorded after the response: give the last ones a moment to commit.
  let succeeded = 0;
  for (let i = 0; i < 50; i++) {
    const row = await sql<{ n: number }>`SELECT count(*)::int AS n FROM webhook_deliveries WHERE webhook_id = ANY(${ids}::text[]) AND status = 'succeeded'`.execute(db);
    succeeded = row.rows[0]!.n;
    if (succeeded >= expected) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    queued: expected,
    webhooks: hooks.length,
    concurrency: config.webhooks.concurrency,
    received: report.received,
    unique: report.unique,
    succeededInDb: succeeded,
    spanMs: report.spanMs,
    deliveriesPerSecond: report.received / (report.spanMs / 1000),
    perSecond: report.perSecond,
    timedOut: report.timedOut,
    connectionsOpened,
    signatures: report.signatures,
    cpu: { ...cpu, gatewayMsPerDelivery: cpu.processMs / Math.max(1, report.received), childCpuMs: report.childCpuMs, postgresCpuMs: pgMs },
    busyCoresBefore,
    sql: sqlStats,
    profile,
  };
}

/**
 * Re-posts the drain's requests (recorded by the receiver) from a child process, once with a bare
 * undici keep-alive Pool and once with the gateway's poster alone, at the drain's concurrency; each
 * child's CPU per post against the gateway's CPU per delivery in the drain just measured.
 */
async function measureAnchor(load: Load, receiverUrl: string, drain: ThroughputResult, runId: string): Promise<AnchorResult> {
  const file = join(tmpdir(), `e2a-delivery-anchor-${runId}.jsonl`);
  const saved = await load.ask({ type: 'save-drain', file });
  if (saved.type !== 'drain-saved' || saved.count === 0) throw new Error('the receiver recorded no drain requests for the anchor');
  try {
    const busyCoresBefore = await busyCores();
    const runOne = async (mode: AnchorMode): Promise<AnchorReport> => {
      process.stderr.write(`  anchor: ${saved.count} posts, ${mode} …\n`);
      const child = forkLoadChild<AnchorCommand, AnchorReport>('delivery-anchor.ts');
      try {
        return await child.ask({ type: 'run', mode, origin: receiverUrl, file, concurrency: drain.concurrency, warmup: Math.min(1000, Math.ceil(saved.count / 5)) });
      } finally {
        child.kill();
      }
    };
    const bare = await runOne('bare');
    const poster = await runOne('poster');
    const perPost = (r: AnchorReport) => r.cpuMs / Math.max(1, r.posts);
    return {
      bare,
      poster,
      concurrency: drain.concurrency,
      busyCoresBefore,
      gatewayRatio: drain.cpu.gatewayMsPerDelivery / perPost(bare),
      posterRatio: perPost(poster) / perPost(bare),
    };
  } finally {
    rmSync(file, { force: true });
  }
}

/** Two forced full GCs: baselines without the previous phase's garbage. */
function settle(): boolean {
  const forced = forceGc();
  forceGc();
  return forced;
}

/** Cores kept busy by everything on the machine over one second, to 2 decimals. */
async function busyCores(): Promise<number> {
  return Math.round(((await machineBusyCores()) ?? 0) * 100) / 100;
}

export function openFileLimit(): number {
  const out = spawnSync('sh', ['-c', 'ulimit -n'], { encoding: 'utf8' }).stdout.trim();
  return out === 'unlimited' ? Number.POSITIVE_INFINITY : Number(out);
}

/**
 * The load child. Both it and this process hold one descriptor per listener; the CLI re-runs the
 * bench under `sh -c 'ulimit -n …'` when the inherited soft limit is too low (delivery-cli.ts), so
 * here it is only checked.
 */
function startLoadChild(needFds: number): Load {
  const soft = openFileLimit();
  if (soft < needFds) throw new Error(`open-file limit ${soft} is below the ${needFds} the listeners need; run \`ulimit -n ${needFds}\` and rerun`);
  return forkLoadChild<LoadCommand, LoadEvent>('delivery-load.ts');
}

