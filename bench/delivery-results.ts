/** What `bench delivery` takes and reports (delivery.ts runs it, delivery-cli.ts prints it). */
import type { Engine } from './bench-database.js';
import type { ProfileSummary } from './cpu-profile.js';
import type { CpuSpent } from './cpu-usage.js';
import type { AnchorReport, DrainReport, LatencyReport } from './delivery-protocol.js';
import type { LatencySummary } from './percentiles.js';
import type { StatementStat } from './sql-stats.js';

export interface DeliveryOptions {
  engine: Engine;
  /** Open-loop send rates, msg/s; each is run for each channel. */
  rates: number[];
  seconds: number;
  warmupSeconds: number;
  sizeBytes: number;
  /** Webhook deliveries queued for the throughput drain (0 skips it). */
  backlog: number;
  /** Webhooks the backlog is spread over (each its own receiver path). */
  backlogWebhooks: number;
  /** Idle WebSocket listeners for the RSS measurement (0 skips it), spread over `listenerAgents`. */
  listeners: number;
  listenerAgents: number;
  /** webhooks.concurrency (null: the gateway default). */
  webhookConcurrency: number | null;
  channels: Array<'webhook' | 'ws'>;
  /** Directory + file prefix for per-phase CPU profiles (null: no profiling). */
  profilePrefix: string | null;
  /** After the drain, re-post its requests with a bare keep-alive client and the gateway's poster alone. */
  anchor: boolean;
}

export interface PhaseCpu extends CpuSpent {
  gatewayMsPerMessage: number;
  childCpuMs: number;
  /** All local `postgres` processes (null on PGlite or off Linux). */
  postgresCpuMs: number | null;
}

export interface LatencyResult {
  channel: 'webhook' | 'ws';
  rate: number;
  sent: number;
  acked: number;
  achievedRate: number;
  missing: number;
  duplicates: number;
  failures: string[];
  deliveryMs: LatencySummary;
  smtpMs: LatencySummary;
  sendLagMs: LatencySummary;
  smtpConnections: number;
  signatures: LatencyReport['signatures'];
  cpu: PhaseCpu;
  busyCoresBefore: number;
  /** PostgreSQL only: statements the gateway ran during the phase, by kind. */
  sql: StatementStat[];
  profile: ProfileSummary | null;
}

export interface ThroughputResult {
  queued: number;
  webhooks: number;
  concurrency: number;
  received: number;
  unique: number;
  succeededInDb: number;
  spanMs: number;
  deliveriesPerSecond: number;
  perSecond: number[];
  timedOut: boolean;
  /** TCP connections the gateway's process opened during the drain. */
  connectionsOpened: number;
  signatures: DrainReport['signatures'];
  cpu: CpuSpent & { gatewayMsPerDelivery: number; childCpuMs: number; postgresCpuMs: number | null };
  busyCoresBefore: number;
  sql: StatementStat[];
  profile: ProfileSummary | null;
}

/** The drain's requests re-posted outside the gateway (delivery-anchor.ts), each mode in a fresh child. */
export interface AnchorResult {
  bare: AnchorReport;
  poster: AnchorReport;
  concurrency: number;
  busyCoresBefore: number;
  /** The drain's gateway CPU per delivery ÷ the bare client's CPU per post. */
  gatewayRatio: number;
  /** The gateway's poster alone ÷ the bare client, per post. */
  posterRatio: number;
}

export interface ListenersResult {
  requested: number;
  ready: number;
  agents: number;
  failures: string[];
  connectMs: number;
  rssBeforeMiB: number;
  rssAfterMiB: number;
  peakSampledMiB: number;
  heapBeforeMiB: number;
  heapAfterMiB: number;
  perListenerKiB: number;
  serverConnections: number;
  fdLimit: number;
  gcForced: boolean;
}

export interface DeliveryResult {
  engine: Engine;
  options: DeliveryOptions;
  listeners: ListenersResult | null;
  latency: LatencyResult[];
  throughput: ThroughputResult | null;
  anchor: AnchorResult | null;
  maxRssMiB: number;
}
