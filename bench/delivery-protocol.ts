/**
 * The messages between the delivery bench (delivery.ts, the gateway's process) and its load child
 * (delivery-load.ts): commands one way, reports the other.
 */
import type { DkimKey } from '@e2a/relay/testing';

export interface InitCommand {
  type: 'init';
  smtpHost: string;
  smtpPort: number;
  /** `ws://host:port`: the gateway's HTTP address with the ws scheme. */
  wsBase: string;
  key: DkimKey;
  from: string;
  sizeBytes: number;
}

export interface LatencyCommand {
  type: 'latency';
  channel: 'webhook' | 'ws';
  /** Unique per phase: it is in every subject, so an arrival is matched to its 250 by the subject. */
  phaseId: string;
  to: string;
  rate: number;
  seconds: number;
  /** ws: the listener's agent address and the key sent in the Authorization header. */
  listen?: { address: string; key: string };
  /** How long after the last 250 to wait for stragglers before calling them missing. */
  drainMs: number;
}

export type LoadCommand =
  | InitCommand
  | { type: 'secrets'; secrets: Record<string, string> }
  | LatencyCommand
  | { type: 'go' }
  /** `record`: keep each drain request (path, webhook-* headers, body) for a later `save-drain`. */
  | { type: 'arm-drain'; expected: number; timeoutMs: number; record?: boolean }
  /** Writes the recorded drain requests to `file` as JSON lines (RecordedPost) for the anchor. */
  | { type: 'save-drain'; file: string }
  | { type: 'listeners'; addresses: string[]; perAddress: number; key: string; inFlight: number }
  | { type: 'close-listeners' }
  | { type: 'exit' };

export interface LatencyReport {
  type: 'latency-done';
  phaseId: string;
  sent: number;
  acked: number;
  failures: string[];
  /** Per acked message: arrival − 250, ms (NaN when it never arrived). */
  deliveryMs: number[];
  /** Per acked message: end of DATA → 250, ms. */
  smtpMs: number[];
  /** How late each send started against its schedule (open loop: should stay ~0). */
  sendLagMs: number[];
  missing: number;
  duplicates: number;
  signatures: Signatures;
  elapsedMs: number;
  achievedRate: number;
  smtpConnections: number;
  childCpuMs: number;
}

export interface DrainReport {
  type: 'drained';
  received: number;
  unique: number;
  /** First to last arrival, ms, in this process's clock. */
  spanMs: number;
  /** Arrivals per 1 s bucket from the first arrival. */
  perSecond: number[];
  timedOut: boolean;
  signatures: Signatures;
  childCpuMs: number;
}

/** The sample of webhook signatures the receiver verified during a phase. */
export interface Signatures {
  checked: number;
  failed: number;
  lastError: string;
}

export interface ListenersReport {
  type: 'listeners-open';
  requested: number;
  ready: number;
  failures: string[];
  elapsedMs: number;
}

export type LoadEvent =
  | { type: 'initialised'; receiverUrl: string }
  | { type: 'ok' }
  | { type: 'prepared'; prepareMs: number }
  | LatencyReport
  | { type: 'armed' }
  | DrainReport
  | ListenersReport
  | { type: 'listeners-closed'; closed: number }
  | { type: 'drain-saved'; count: number };

/** One webhook request as the receiver got it, re-posted by the anchor (delivery-anchor.ts). */
export interface RecordedPost {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** The keep-alive anchor (delivery-anchor.ts): re-posts a recorded drain, measuring its own CPU. */
export type AnchorMode = 'bare' | 'poster';

export type AnchorCommand = { type: 'run'; mode: AnchorMode; origin: string; file: string; concurrency: number; warmup: number } | { type: 'exit' };

export interface AnchorReport {
  type: 'anchor-done';
  mode: AnchorMode;
  posts: number;
  /** Posts answered other than 2xx, or failed. */
  failed: number;
  /** This process's CPU (user + system) over the measured posts, ms. */
  cpuMs: number;
  spanMs: number;
  /** TCP connections the measured posts opened (socket `connect` events; the warm-up's excluded). */
  connections: number;
}
