/**
 * The webhook delivery worker. Work comes from webhook_deliveries (filled by the events trigger in
 * the transaction that wrote the event), so a crash loses nothing: an attempt in flight when the
 * process died is retaken by any replica once its claim (locked_until) lapses. Delivery is at least
 * once; receivers de-duplicate on webhook-id, which is the event id.
 *
 * Wakes on the event bus and also polls every webhooks.poll_interval_ms, because notifications can
 * be lost and retries become due without any notification at all.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import type { EventBus } from '../events/bus.js';
import { toWireEvent } from '../events/envelope.js';
import type { PostOutcome, WebhookTransport } from '../net/http-poster.js';
import { nextDelayMs, parseRetryAfter, type RetrySchedule } from '../webhooks/retry-schedule.js';
import { responseExcerpt } from '../webhooks/response-excerpt.js';
import { describeStatus } from '../webhooks/service.js';
import { signedRequest } from '../webhooks/signed-request.js';
import { activeSecrets } from '../webhooks/signing-secrets.js';
import { claimDue, markFailed, markSucceeded, type AttemptResponse, type ClaimedDelivery, type Success } from '../webhooks/delivery-queue.js';
import { GroupCommit } from '../db/group-commit.js';
import { PollingWorker } from './polling-worker.js';
import type { Metrics } from '../observability/metrics.js';

export interface WebhookDeliveryDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
  transport: WebhookTransport;
  bus: Pick<EventBus, 'subscribe'>;
  logger: Logger;
  schedule: RetrySchedule;
  concurrency: number;
  pollIntervalMs: number;
  /** Per-attempt deadline; the claim outlives it by CLAIM_MARGIN_MS. */
  timeoutMs: number;
  disableAfterMs: number;
  random?: () => number;
  /** Counts attempts and their duration (observability/metrics.ts). */
  metrics?: Pick<Metrics, 'webhookAttempt'>;
}

/** Signing and recording the result take far less than this beyond the HTTP deadline. */
const CLAIM_MARGIN_MS = 5000;
const MAX_ERROR_CHARS = 500;

export class WebhookDeliveryWorker extends PollingWorker<ClaimedDelivery> {
  /** Successes finishing together are recorded in one statement (a burst to a fast receiver was one statement per delivery). */
  private readonly successes: GroupCommit<Success>;

  constructor(private readonly deps: WebhookDeliveryDeps) {
    super({ bus: deps.bus, logger: deps.logger, concurrency: deps.concurrency, pollIntervalMs: deps.pollIntervalMs, name: 'webhook delivery', wakeOn: (notice) => notice.deliveries > 0 });
    this.successes = new GroupCommit((items) => markSucceeded(deps.db, items));
  }

  protected claim(limit: number): Promise<ClaimedDelivery[]> {
    const now = this.deps.clock.now();
    return claimDue(this.deps.db, { now, limit, lockedUntil: new Date(now.getTime() + this.deps.timeoutMs + CLAIM_MARGIN_MS) });
  }

  protected async attempt(job: ClaimedDelivery): Promise<void> {
    const { clock, box, transport, db } = this.deps;
    const at = clock.now();
    const envelope = toWireEvent({ id: job.event_id, type: job.event_type, schema_version: job.schema_version, created_at: job.event_created_at, data: job.data });
    let outcome: PostOutcome;
    // null: the request never started, so there is no latency to report.
    let response: AttemptResponse = { latencyMs: null, excerpt: null };
    const started = performance.now();
    try {
      outcome = await transport.post(signedRequest(job.url, envelope, activeSecrets(job, box, at), at));
      response = { latencyMs: outcome.latencyMs, excerpt: outcome.kind === 'response' && outcome.bodyHead ? responseExcerpt(outcome.bodyHead) : null };
    } catch (err) {
      // A secret that cannot be opened (wrong storage.encryption_key) must still end in `dead`, not
      // loop on lapsed claims forever.
      outcome = { kind: 'error', refused: false, error: `could not sign the request: ${(err as Error).message}`, latencyMs: 0 };
    }
    const done = clock.now();
    this.deps.metrics?.webhookAttempt(
      outcome.kind === 'error' ? 'network_error' : outcome.status >= 200 && outcome.status < 300 ? 'success' : 'http_error',
      (performance.now() - started) / 1000,
    );
    if (outcome.kind === 'response' && outcome.status >= 200 && outcome.status < 300) {
      await this.successes.add({ job, at: done, status: outcome.status, ...response });
      return;
    }
    const status = outcome.kind === 'response' ? outcome.status : null;
    const error = (outcome.kind === 'response' ? describeStatus(outcome.status) : outcome.error).slice(0, MAX_ERROR_CHARS);
    const retryAfterMs = outcome.kind === 'response' ? parseRetryAfter(outcome.retryAfter, done) : null;
    const delay = nextDelayMs(this.deps.schedule, job.attempts, retryAfterMs, this.deps.random);
    const result = await markFailed(db, job, {
      at: done,
      status,
      error,
      ...response,
      nextAttemptAt: delay === null ? null : new Date(done.getTime() + delay),
      disableIfFailingSince: new Date(done.getTime() - this.deps.disableAfterMs),
      disabledReason: `disabled by e2a: every delivery failed for ${Math.round(this.deps.disableAfterMs / 360_000) / 10} h (webhooks.disable_after_hours) with no success; last error: ${error.slice(0, 200)}. Fix the endpoint, then PATCH {"enabled": true} and replay the dead deliveries with POST /v1/webhooks/{id}/deliveries/replay {"status": "dead"}`,
    });
    if (delay === null) this.deps.logger.warn({ delivery: job.id, event: job.event_id, webhook: job.webhook_id, error }, 'webhook delivery dead after the last retry');
    if (result.disabled) this.deps.logger.warn({ webhook: job.webhook_id }, 'webhook disabled: failing with no success for webhooks.disable_after_hours');
  }
}
