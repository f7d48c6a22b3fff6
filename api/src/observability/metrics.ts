/**
 * Prometheus metrics: one registry per gateway (never prom-client's global one, so gateways sharing
 * a process, as tests do, keep their own counts). Every counter of the gateway lives here, and the
 * code where an event happens calls a method of this class.
 *
 * Labels come from small fixed sets only (reply codes, verdict keywords, rule names, outcomes):
 * never addresses, subjects, ids or anything else a tenant or a sender chooses.
 */
import type { Authentication } from '@e2a/relay';
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { LimitDecision, Limiter, LimitRefusal, LimitRule } from '../limits/limiter.js';

/** What /metrics reads from the database at scrape time; slower than this, the last values stay. */
export const SCRAPE_QUERY_TIMEOUT_MS = 1000;

/** The webhook queue as a scrape sees it. */
export interface WebhookQueueStats {
  depth: number;
  /** Seconds since the oldest pending delivery was created; 0 when none is pending. */
  oldestAgeSeconds: number;
}

/** A pg Pool's counters (node-postgres `Pool`), or null on the embedded database. */
export interface PoolStats {
  readonly totalCount: number;
  readonly idleCount: number;
  readonly waitingCount: number;
}

export interface MetricsSources {
  webhookQueue?: () => Promise<WebhookQueueStats>;
  websocketListeners?: () => number;
  pool?: PoolStats | null;
}

export type WebhookOutcome = 'success' | 'http_error' | 'network_error';
export type OutboundOutcome = 'queued' | 'sent' | 'failed' | 'bounced';
export type InboundStatus = 'received' | 'held' | 'blocked';

export class Metrics {
  readonly registry = new Registry();
  readonly contentType = this.registry.contentType;
  private readonly smtpSessions = new Counter({
    name: 'e2a_smtp_sessions_total',
    help: 'SMTP connections, by whether the session was admitted (accepted) or turned away at connect (refused)',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  private readonly smtpTransactions = new Counter({
    name: 'e2a_smtp_transactions_total',
    help: 'SMTP transactions answered after DATA, by reply code',
    labelNames: ['code'] as const,
    registers: [this.registry],
  });
  private readonly authVerdicts = new Counter({
    name: 'e2a_inbound_auth_verdicts_total',
    help: 'Sender authentication results of received messages, by check (spf, dkim, dmarc) and result keyword',
    labelNames: ['check', 'result'] as const,
    registers: [this.registry],
  });
  private readonly inboundBytes = new Counter({
    name: 'e2a_inbound_bytes_total',
    help: 'Bytes of messages received after DATA (as the client sent them)',
    registers: [this.registry],
  });
  private readonly inboundMessages = new Counter({
    name: 'e2a_inbound_messages_total',
    help: 'Inbound message copies stored, by status: received (visible), held (for review), blocked',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  private readonly webhookAttempts = new Counter({
    name: 'e2a_webhook_attempts_total',
    help: 'Webhook delivery attempts, by outcome',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly webhookLatency = new Histogram({
    name: 'e2a_webhook_attempt_duration_seconds',
    help: 'Duration of webhook delivery attempts (request until response or error)',
    labelNames: ['outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
    registers: [this.registry],
  });
  private readonly outboundMessages = new Counter({
    name: 'e2a_outbound_messages_total',
    help: 'Outbound messages by outcome: queued (accepted for sending), sent, failed, bounced (a delivery report arrived later)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly outboundLatency = new Histogram({
    name: 'e2a_outbound_attempt_duration_seconds',
    help: 'Duration of outbound send attempts (composition, local delivery and SMTP), by the attempt result',
    labelNames: ['result'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60],
    registers: [this.registry],
  });
  private readonly listPosts = new Counter({
    name: 'e2a_list_posts_total',
    help: 'Mail to a list, by outcome: delivered (fanned out to members), refused (post policy), loop_dropped (it carried the list\'s own List-Id)',
    labelNames: ['outcome'] as const,
    registers: [this.registry],
  });
  private readonly rateLimitRejections = new Counter({
    name: 'e2a_rate_limit_rejections_total',
    help: 'Requests, connections and recipients refused by a rate limit, by rule name',
    labelNames: ['rule'] as const,
    registers: [this.registry],
  });

  constructor(sources: MetricsSources = {}) {
    collectDefaultMetrics({ register: this.registry, prefix: 'e2a_' });
    const { webhookQueue, websocketListeners, pool } = sources;
    let queue: WebhookQueueStats = { depth: 0, oldestAgeSeconds: 0 };
    // One query per scrape for both gauges: the first gauge's collect reads, the second reuses it.
    let queueRead: Promise<void> | null = null;
    const readQueue = (): Promise<void> => {
      if (!webhookQueue) return Promise.resolve();
      queueRead ??= withTimeout(webhookQueue(), SCRAPE_QUERY_TIMEOUT_MS)
        .then((stats) => {
          if (stats) queue = stats;
        })
        .catch(() => {})
        .finally(() => setImmediate(() => (queueRead = null)));
      return queueRead;
    };
    new Gauge({
      name: 'e2a_webhook_queue_depth',
      help: 'Webhook deliveries pending (due or waiting for a retry), read from the database at scrape time',
      registers: [this.registry],
      async collect() {
        await readQueue();
        this.set(queue.depth);
      },
    });
    new Gauge({
      name: 'e2a_webhook_queue_oldest_age_seconds',
      help: 'Age of the oldest pending webhook delivery, read from the database at scrape time',
      registers: [this.registry],
      async collect() {
        await readQueue();
        this.set(queue.oldestAgeSeconds);
      },
    });
    new Gauge({
      name: 'e2a_websocket_listeners',
      help: 'WebSocket listeners open in this process',
      registers: [this.registry],
      collect() {
        this.set(websocketListeners?.() ?? 0);
      },
    });
    if (pool) {
      const poolGauge = (name: string, help: string, read: (p: PoolStats) => number): void => {
        new Gauge({
          name,
          help,
          registers: [this.registry],
          collect() {
            this.set(read(pool));
          },
        });
      };
      poolGauge('e2a_db_pool_connections', 'PostgreSQL pool connections open', (p) => p.totalCount);
      poolGauge('e2a_db_pool_idle', 'PostgreSQL pool connections idle', (p) => p.idleCount);
      poolGauge('e2a_db_pool_waiting', 'Queries waiting for a PostgreSQL pool connection', (p) => p.waitingCount);
    }
  }

  smtpSession(result: 'accepted' | 'refused'): void {
    this.smtpSessions.inc({ result });
  }

  /** The reply to DATA; a code outside 200–599 (there is none today) is counted as `other`. */
  smtpTransaction(code: number): void {
    this.smtpTransactions.inc({ code: Number.isInteger(code) && code >= 200 && code <= 599 ? String(code) : 'other' });
  }

  /** A message received in full over SMTP (bytes as the client sent them). */
  inboundReceived(bytes: number): void {
    this.inboundBytes.inc(bytes);
  }

  /** A message's sender-authentication verdicts (each DKIM signature counted; none as `none`). */
  inboundVerdict(authentication: Authentication): void {
    this.authVerdicts.inc({ check: 'spf', result: authentication.spf.status });
    for (const signature of authentication.dkim) this.authVerdicts.inc({ check: 'dkim', result: signature.status });
    if (authentication.dkim.length === 0) this.authVerdicts.inc({ check: 'dkim', result: 'none' });
    this.authVerdicts.inc({ check: 'dmarc', result: authentication.dmarc.status });
  }

  inboundStored(status: InboundStatus): void {
    this.inboundMessages.inc({ status });
  }

  listPost(outcome: 'delivered' | 'refused' | 'loop_dropped'): void {
    this.listPosts.inc({ outcome });
  }

  webhookAttempt(outcome: WebhookOutcome, seconds: number): void {
    this.webhookAttempts.inc({ outcome });
    this.webhookLatency.observe({ outcome }, seconds);
  }

  outbound(outcome: OutboundOutcome): void {
    this.outboundMessages.inc({ outcome });
  }

  outboundAttempt(result: 'sent' | 'failed' | 'deferred', seconds: number): void {
    this.outboundLatency.observe({ result }, seconds);
  }

  rateLimited(rule: string): void {
    this.rateLimitRejections.inc({ rule });
  }

  /** The limiter, counting each refusal by its rule's name (a fixed set: limits/*.ts). */
  countingLimiter(limiter: Limiter): Limiter {
    return {
      consume: async (rules: readonly LimitRule[]): Promise<LimitDecision> => {
        const decision = await limiter.consume(rules);
        if (!decision.allowed) this.rateLimited(decision.rule);
        return decision;
      },
      refusedFromMemory: (rules: readonly LimitRule[]): LimitRefusal | null => {
        const refusal = limiter.refusedFromMemory(rules);
        if (refusal) this.rateLimited(refusal.rule);
        return refusal;
      },
    };
  }

  /** The text exposition of every metric (prom-client's format for Prometheus 0.0.4). */
  text(): Promise<string> {
    return this.registry.metrics();
  }

  /** Stops the default metrics' timers (event-loop delay monitor). */
  stop(): void {
    this.registry.clear();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T | null> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<null>((resolve) => {
    timer = setTimeout(() => resolve(null), ms);
    timer.unref();
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
