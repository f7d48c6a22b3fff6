/**
 * Webhooks: where a user's events are POSTed. Account-scoped: an agent key gets 403 (a webhook sees
 * every agent of the account), another tenant's webhook is 404 so ids do not leak.
 */
import type { ReplayDeliveriesResult, Webhook, WebhookDeliveryPage, WebhookPage, WebhookTestEvent, WebhookTestResult, WebhookWithSecret } from '@e2a/sdk/wire';
import {
  CreateWebhookRequest as CreateSchema,
  ReplayDeliveriesRequest as ReplaySchema,
  UpdateWebhookRequest as UpdateSchema,
  WEBHOOK_TEST_EVENT_TYPE,
} from '@e2a/sdk/wire';
import type { z } from 'zod';
import type { Principal } from '../accounts/principal.js';
import { isoTime, type Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { json, type Database } from '../db/database.js';
import { decodeCursor, toPage } from '../paging.js';
import { AppError, notFound } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import type { WebhookTransport } from '../net/http-poster.js';
import { checkTargetUrl } from '../net/target-url.js';
import type { TargetPolicy } from '../net/address-policy.js';
import { WebhooksRepo, type WebhookRow } from './repo.js';
import { signedRequest } from './signed-request.js';
import { activeSecrets, generateSecret, ROTATION_OVERLAP_MS } from './signing-secrets.js';
import type { AccountCaps } from '../limits/account-caps.js';

export function toWireWebhook(row: WebhookRow): Webhook {
  return {
    id: row.id,
    url: row.url,
    events: row.events as Webhook['events'],
    filters: { agent_addresses: row.filter_agent_addresses, conversation_ids: row.filter_conversation_ids },
    description: row.description,
    enabled: row.enabled,
    disabled_reason: row.disabled_reason,
    failing_since: isoTime(row.failing_since),
    last_success_at: isoTime(row.last_success_at),
    created_at: isoTime(row.created_at),
    updated_at: isoTime(row.updated_at),
  };
}

export interface WebhooksDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
  /** The SSRF-guarded HTTP client the delivery worker uses too. */
  transport: WebhookTransport;
  /** URL rules for create/update; the transport applies the same policy at dial time. */
  policy: TargetPolicy;
  caps: AccountCaps;
  /** Wakes this process's delivery worker after a replay (other replicas find the rows by polling). */
  onRequeued: () => void;
}

export class WebhooksService {
  private readonly repo: WebhooksRepo;

  constructor(private readonly deps: WebhooksDeps) {
    this.repo = new WebhooksRepo(deps.db);
  }

  async create(principal: Principal, req: z.output<typeof CreateSchema>): Promise<WebhookWithSecret> {
    requireAccount(principal);
    const secret = generateSecret();
    const url = this.checkUrl(req.url);
    const row = await this.deps.db.transaction().execute(async (tx) => {
      await this.deps.caps.check(tx, principal.userId, 'webhooks');
      return new WebhooksRepo(tx).insert({
      id: newId('webhook'),
      user_id: principal.userId,
      fields: {
        url,
        events: req.events,
        agentAddresses: req.filters.agent_addresses.map((a) => a.trim().toLowerCase()),
        conversationIds: req.filters.conversation_ids,
        description: req.description,
        enabled: req.enabled,
      },
        secret: this.deps.box.seal(secret),
        at: this.deps.clock.now(),
      });
    });
    return { ...toWireWebhook(row), secret };
  }

  async list(principal: Principal, opts: { limit: number; cursor?: string | undefined }): Promise<WebhookPage> {
    requireAccount(principal);
    const rows = await this.repo.list(principal.userId, { limit: opts.limit, beforeId: opts.cursor ? decodeCursor(opts.cursor) : undefined });
    return toPage(rows, opts.limit, toWireWebhook);
  }

  async get(principal: Principal, id: string): Promise<Webhook> {
    return toWireWebhook(await this.find(principal, id));
  }

  async update(principal: Principal, id: string, req: z.output<typeof UpdateSchema>): Promise<Webhook> {
    const row = await this.find(principal, id);
    const now = this.deps.clock.now();
    const reEnabled = req.enabled === true && !row.enabled;
    const updated = await this.repo.update(row.id, {
      ...(req.url !== undefined ? { url: this.checkUrl(req.url) } : {}),
      ...(req.events !== undefined ? { events: json(req.events) } : {}),
      ...(req.filters?.agent_addresses !== undefined ? { filter_agent_addresses: json(req.filters.agent_addresses.map((a) => a.trim().toLowerCase())) } : {}),
      ...(req.filters?.conversation_ids !== undefined ? { filter_conversation_ids: json(req.filters.conversation_ids) } : {}),
      ...(req.description !== undefined ? { description: req.description } : {}),
      ...(req.enabled !== undefined ? { enabled: req.enabled } : {}),
      // Re-enabling is the user saying "fixed": the failure clock starts again.
      ...(reEnabled ? { disabled_reason: null, failing_since: null } : {}),
      updated_at: now,
    });
    return toWireWebhook(updated);
  }

  async delete(principal: Principal, id: string, confirm: string | undefined): Promise<void> {
    const row = await this.find(principal, id);
    if (confirm !== 'DELETE') {
      throw new AppError('validation_error', `deleting webhook ${id} also deletes its delivery history and cannot be undone; repeat the request with ?confirm=DELETE`);
    }
    await this.repo.delete(row.id);
  }

  async rotateSecret(principal: Principal, id: string): Promise<WebhookWithSecret> {
    const row = await this.find(principal, id);
    const now = this.deps.clock.now();
    const secret = generateSecret();
    const updated = await this.repo.update(row.id, {
      secret: this.deps.box.seal(secret),
      // The secret being replaced keeps signing for a day; an older previous one is dropped.
      previous_secret: row.secret,
      previous_secret_expires_at: new Date(now.getTime() + ROTATION_OVERLAP_MS),
      updated_at: now,
    });
    return { ...toWireWebhook(updated), secret };
  }

  /** Sends a signed test event now, through the same guarded transport as real deliveries. */
  async test(principal: Principal, id: string): Promise<WebhookTestResult> {
    const row = await this.find(principal, id);
    const now = this.deps.clock.now();
    const event: WebhookTestEvent = {
      id: `evt_test_${randomToken(12).toLowerCase().replace(/[^a-z0-9]/g, '0')}`,
      type: WEBHOOK_TEST_EVENT_TYPE,
      schema_version: 1,
      created_at: now.toISOString(),
      data: { webhook_id: row.id, message: 'This is a test event from e2a; reply 2xx to pass.' },
    };
    const outcome = await this.deps.transport.post(signedRequest(row.url, event, activeSecrets(row, this.deps.box, now), now));
    if (outcome.kind === 'error') return { event_id: event.id, success: false, status: null, error: outcome.error };
    const success = outcome.status >= 200 && outcome.status < 300;
    return { event_id: event.id, success, status: outcome.status, error: success ? null : describeStatus(outcome.status) };
  }

  async deliveries(principal: Principal, id: string, opts: { limit: number; cursor?: string | undefined }): Promise<WebhookDeliveryPage> {
    const row = await this.find(principal, id);
    const rows = await this.repo.deliveries(row.id, { limit: opts.limit, beforeId: opts.cursor ? decodeCursor(opts.cursor) : undefined });
    return toPage(rows, opts.limit, (d) => ({
      id: d.id,
      webhook_id: d.webhook_id,
      event_id: d.event_id,
      event_type: d.event_type as WebhookDeliveryPage['items'][number]['event_type'],
      status: d.status,
      attempts: d.attempts,
      next_attempt_at: d.status === 'pending' ? isoTime(d.next_attempt_at) : null,
      last_status: d.last_status,
      last_error: d.last_error,
      last_latency_ms: d.last_latency_ms,
      last_response_excerpt: d.last_response_excerpt,
      created_at: isoTime(d.created_at),
      completed_at: isoTime(d.completed_at),
    }));
  }

  /**
   * Requeues every dead delivery of the webhook from attempt 1 (events keep their ids, so receivers
   * still de-duplicate). A disabled webhook is refused: nothing would be sent, and the replay would
   * silently wait for a re-enable the caller may not intend.
   */
  async replayDeliveries(principal: Principal, id: string, req: z.output<typeof ReplaySchema>): Promise<ReplayDeliveriesResult> {
    const row = await this.find(principal, id);
    if (!row.enabled) {
      throw new AppError('conflict', `webhook ${id} is disabled, so replayed deliveries would not be sent; enable it first (PATCH /v1/webhooks/${id} with {"enabled": true}), then replay`);
    }
    const replayed = await this.repo.replay(row.id, req.status, this.deps.clock.now());
    if (replayed > 0) this.deps.onRequeued();
    return { replayed };
  }

  private async find(principal: Principal, id: string): Promise<WebhookRow> {
    requireAccount(principal);
    const row = await this.repo.get(principal.userId, id);
    if (!row) throw notFound(`webhook ${id}`);
    return row;
  }

  private checkUrl(url: string): string {
    const verdict = checkTargetUrl(url, this.deps.policy);
    if (!verdict.ok) throw new AppError('validation_error', `body.url: ${verdict.reason}`, [{ path: 'body.url', message: verdict.reason }]);
    return verdict.url.toString();
  }
}

export function requireAccount(principal: Principal): void {
  if (principal.scope !== 'account') {
    throw new AppError('forbidden', 'webhooks belong to the account and see every agent; use an account key, not an agent key');
  }
}

/** The last_error / test message for a non-2xx answer, with the fix where there is one. */
export function describeStatus(status: number): string {
  if (status >= 300 && status < 400) {
    return `HTTP ${status}: redirect not followed (only 307/308 keep POST, at most 3 hops); point the webhook at the final URL`;
  }
  return `HTTP ${status}: only 2xx counts as delivered`;
}

