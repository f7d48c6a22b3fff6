/**
 * The outbound worker: takes queued messages from the messages table (claimed with a lease, so
 * replicas never send the same message twice at once and a crashed attempt is retaken once its
 * lease lapses), composes and DKIM-signs them once (the bytes are stored, so retries resend the
 * same message), and delivers each recipient by its route:
 *
 *   an agent on this gateway → LocalDelivery (the inbound pipeline, no SMTP)
 *   anyone else              → the transport of outbound_smtp.mode (upstream pool | direct MX),
 *                              with mode outbox the local outbox (captured, recorded as sent with
 *                              the response CAPTURED_RESPONSE), or, with mode none, an immediate
 *                              failure that says how to fix it.
 *
 * Temporary failures are retried with backoff for outbound.retry_hours from the first attempt;
 * permanent ones fail at once. The final status and its event (email.sent | email.failed) are
 * written together. Wakes on the event bus and on wake(); polls otherwise. Mail accepted by this
 * process's API mostly arrives through reserveAt() instead: committed already claimed, started at once.
 */
import type { OutboundTransport, Recipient, RecipientOutcome } from '@e2a/relay';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { LocalDomains } from '../outbound/local-domains.js';
import type { Database } from '../db/database.js';
import type { DkimKeys } from '../domains/dkim-keys.js';
import type { EventBus } from '../events/bus.js';
import { messageEvent } from '../events/outbox.js';
import { composeSigned } from '../outbound/compose.js';
import type { OutboundDraft } from '../outbound/draft.js';
import type { LocalDelivery } from '../outbound/local-delivery.js';
import type { ListFanOut } from '../lists/fan-out.js';
import { CAPTURED_RESPONSE, type Outbox } from '../outbox/outbox.js';
import { uniqueRecipients } from '../outbound/recipients.js';
import { OutboundRepo, type ClaimedMessage } from '../outbound/repo.js';
import { retryDelayMs, type OutboundRetryPolicy } from '../outbound/retry.js';
import type { Metrics } from '../observability/metrics.js';
import { PollingWorker, type JobSlot } from './polling-worker.js';

export const NO_ROUTE_REASON =
  'no outbound route: set outbound_smtp.mode to upstream (with outbound_smtp.host) or direct to deliver to addresses outside this gateway, or outbox to capture such mail locally';

export interface OutboundSendDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
  bus: Pick<EventBus, 'subscribe'>;
  logger: Logger;
  dkim: DkimKeys;
  local: LocalDelivery;
  /** List addresses on this gateway: mail to one is delivered locally, to its members (docs/LISTS.md). */
  lists: Pick<ListFanOut, 'recipientAt'>;
  /** Which recipient domains can hold agents of this gateway. */
  localDomains: LocalDomains;
  /** null when outbound_smtp.mode is none or outbox. */
  transport: OutboundTransport | null;
  /** The local outbox when outbound_smtp.mode is outbox: mail with no transport is captured there. */
  outbox: Outbox | null;
  retry: OutboundRetryPolicy;
  retryWindowMs: number;
  concurrency: number;
  pollIntervalMs: number;
  /** How long one attempt may hold its claim (all MX hosts, all timeouts). */
  leaseMs: number;
  random?: () => number;
  /** Counts sent and failed messages and times attempts (observability/metrics.ts). */
  metrics?: Pick<Metrics, 'outbound' | 'outboundAttempt'>;
}

type Delivery = Array<{ address: string; status: string; response: string | null }>;

export class OutboundSendWorker extends PollingWorker<ClaimedMessage> {
  private readonly repo: OutboundRepo;

  constructor(private readonly deps: OutboundSendDeps) {
    super({ bus: deps.bus, logger: deps.logger, concurrency: deps.concurrency, pollIntervalMs: deps.pollIntervalMs, name: 'outbound send', wakeOn: (notice) => notice.type === 'email.review_approved' });
    this.repo = new OutboundRepo(deps.db, deps.clock);
  }

  /** A slot for a message the API commits already claimed, and the lease to write with it. */
  reserveAt(now: Date): { lockedUntil: Date; slot: JobSlot<ClaimedMessage> } | null {
    const slot = this.reserve();
    return slot && { lockedUntil: new Date(now.getTime() + this.deps.leaseMs), slot };
  }

  protected claim(limit: number): Promise<ClaimedMessage[]> {
    const now = this.deps.clock.now();
    return this.repo.claimDue(now, limit, new Date(now.getTime() + this.deps.leaseMs));
  }

  protected async attempt(job: ClaimedMessage): Promise<void> {
    const started = performance.now();
    const result = await this.send(job);
    this.deps.metrics?.outboundAttempt(result, (performance.now() - started) / 1000);
    if (result !== 'deferred') this.deps.metrics?.outbound(result);
  }

  private async send(job: ClaimedMessage): Promise<'sent' | 'failed' | 'deferred'> {
    const { box, clock } = this.deps;
    const draft = JSON.parse(box.open(job.draft).toString('utf8')) as OutboundDraft;
    let raw: Buffer;
    // Composed bytes are stored with the attempt's outcome (one write), so retries resend them as-is.
    let composed: Buffer | null = null;
    if (job.raw) {
      raw = box.open(job.raw);
    } else {
      try {
        raw = await composeSigned(draft, { dkim: this.deps.dkim, date: clock.now() });
      } catch (err) {
        // Composition is deterministic: retrying a draft that cannot be composed cannot help.
        const reason = `could not compose the message: ${(err as Error).message}`.slice(0, 500);
        return this.record(job, new Map(), uniqueRecipients(draft.to, draft.cc, draft.bcc).map((address) => ({ address, status: 'failed', response: reason })), null);
      }
      composed = raw;
    }

    const previous = new Map((job.delivery as Delivery).map((d) => [d.address.toLowerCase(), d]));
    const pending = uniqueRecipients(draft.to, draft.cc, draft.bcc).filter((a) => previous.get(a.toLowerCase())?.status !== 'sent');
    const maybeLocal: string[] = [];
    for (const address of pending) if (await this.deps.localDomains.includes(address)) maybeLocal.push(address);
    const agents = await this.repo.localAgents(maybeLocal, clock.now());
    const agentSet = new Set(agents.map((l) => l.address));
    const lists: Recipient[] = [];
    for (const address of maybeLocal) {
      if (agentSet.has(address.toLowerCase())) continue;
      const list = await this.deps.lists.recipientAt(address);
      if (list) lists.push(list);
    }
    const locals: Recipient[] = [...agents.map((l) => ({ agentId: l.id, address: l.address })), ...lists];
    const localSet = new Set(locals.map((l) => l.address));
    const external = pending.filter((a) => !localSet.has(a.toLowerCase()));

    const outcomes: RecipientOutcome[] = [];
    if (locals.length > 0) {
      try {
        const expiresAt = draft.expiresAt ? new Date(draft.expiresAt) : null;
        const local = await this.deps.local.deliver({ raw, mailFrom: job.agent_address, recipients: locals, conversationId: draft.conversationId, expiresAt });
        outcomes.push(
          ...locals.map((l) => {
            const refusal = local.refused.get(l.address);
            if (refusal) return { address: l.address, status: 'failed' as const, response: `not delivered to list ${l.address}: ${refusal}` };
            return local.outcome === 'delivered'
              ? { address: l.address, status: 'sent' as const, response: lists.includes(l) ? 'delivered to the members of a local list' : 'delivered to a local agent' }
              : { address: l.address, status: 'failed' as const, response: 'not delivered: the message expired (expires_at) before it could be delivered' };
          }),
        );
      } catch (err) {
        this.deps.logger.warn({ err, message: job.id }, 'local delivery failed; will retry');
        outcomes.push(...locals.map((l) => ({ address: l.address, status: 'deferred' as const, response: `local delivery failed: ${(err as Error).message}`.slice(0, 500) })));
      }
    }
    if (external.length > 0) {
      if (this.deps.transport === null && this.deps.outbox !== null) {
        const id = await this.deps.outbox.capture({ userId: job.user_id, source: 'message', sourceId: job.id, agentAddress: job.agent_address, from: job.agent_address, to: external, subject: job.subject ?? '', raw });
        this.deps.logger.info({ message: job.id, outbox: id, to: external }, 'outbound message captured in the local outbox');
        outcomes.push(...external.map((address) => ({ address, status: 'sent' as const, response: CAPTURED_RESPONSE })));
      } else if (this.deps.transport === null) {
        outcomes.push(...external.map((address) => ({ address, status: 'failed' as const, response: NO_ROUTE_REASON })));
      } else {
        outcomes.push(...(await this.deps.transport.send({ from: job.agent_address, to: external }, raw)));
      }
    }
    return this.record(job, previous, outcomes, composed === null ? null : { sealed: box.seal(composed), size: composed.length });
  }

  private async record(job: ClaimedMessage, previous: Map<string, Delivery[number]>, outcomes: RecipientOutcome[], composed: { sealed: Buffer; size: number } | null): Promise<'sent' | 'failed' | 'deferred'> {
    const now = this.deps.clock.now();
    const expired = now.getTime() >= new Date(job.first_attempt_at).getTime() + this.deps.retryWindowMs;
    for (const o of outcomes) {
      const entry = o.status === 'deferred' && expired ? { ...o, status: 'failed' as const, response: `gave up after outbound.retry_hours: ${o.response ?? ''}` } : o;
      previous.set(o.address.toLowerCase(), entry);
    }
    const delivery = [...previous.values()];
    const deferred = delivery.filter((d) => d.status === 'deferred');
    if (deferred.length > 0) {
      const wait = retryDelayMs(this.deps.retry, job.attempts, this.deps.random);
      await this.repo.defer(job.id, { composed, delivery, nextAttemptAt: new Date(now.getTime() + wait), reason: `retrying: ${deferred[0]!.response ?? 'temporary failure'}`.slice(0, 1000) });
      return 'deferred';
    }
    const failed = delivery.filter((d) => d.status === 'failed');
    const sent = delivery.filter((d) => d.status === 'sent');
    // Some recipients got it: the message is sent, and the reason names who did not.
    const status = sent.length > 0 ? 'sent' : 'failed';
    const reason = failed.length === 0 ? null : failed.slice(0, 5).map((f) => `${f.address}: ${f.response ?? 'failed'}`).join('; ').slice(0, 1000);
    if (status === 'failed') this.deps.logger.info({ message: job.id, reason }, 'outbound message failed');
    const type = status === 'sent' ? 'email.sent' : 'email.failed';
    await this.repo.finish(job, {
      composed,
      status,
      delivery,
      reason,
      at: now,
      event: messageEvent(
        type,
        // The sender is the agent the API key authenticated: verified.
        { id: job.id, agentAddress: job.agent_address, conversationId: job.conversation_id, direction: 'outbound', from: job.agent_address, to: delivery.map((d) => d.address), subject: job.subject, verified: true, priority: job.priority },
        { reason },
      ),
    });
    return status;
  }
}
