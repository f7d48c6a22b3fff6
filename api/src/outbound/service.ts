/**
 * Accepting outbound mail: validate, apply the agent's outbound protection gate, store the message
 * (the row is also the delivery job) with its events in one transaction, and answer. Nothing here
 * talks to the network: the outbound worker sends what this committed (STYLE §13).
 *
 *   pass   → queued, 202 accepted              flag  → queued + email.flagged, 202 accepted
 *   review → held + review (ReviewHolds), 202 pending_review with approval_expires_at
 *   block  → stored as blocked + email.blocked, 403 blocked_by_policy
 *
 * With `send_at`, pass and flag store the message `scheduled` (+ email.scheduled, 202 scheduled)
 * instead of queued: the gate has already run, and the worker sends it when it is due
 * (outbound/schedule.ts).
 */
import type { ForwardRequest, MessagePriority, ReplyRequest, SendMessageRequest, SendResult } from '@e2a/sdk/wire';
import type { z } from 'zod';
import { sealContent } from '../blobs/content.js';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { json, pgText } from '../db/database.js';
import type { EventBus } from '../events/bus.js';
import { messageEvent, type MessageFacts } from '../events/outbox.js';
import { notFound } from '../errors.js';
import { draftSearchDocument } from '../messages/search-document.js';
import { newId, sha256Hex } from '../ids.js';
import type { ProtectionGates } from '../protection/decision.js';
import { parseStoredProtection } from '../protection/service.js';
import type { ReviewHolds } from '../reviews/ports.js';
import type { OutboundDraft } from './draft.js';
import { draftForForward, draftForReply, draftForSend, type SendingAgent } from './drafts.js';
import { checkSend, type OutboundLimits } from './limits.js';
import { OutboundRepo, type ClaimedMessage } from './repo.js';
import { cancelScheduled } from './cancel.js';
import { releaseAt } from './schedule.js';
import type { Metrics } from '../observability/metrics.js';

export interface OutboundServiceDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
  gates: ProtectionGates;
  holds: ReviewHolds;
  limits: OutboundLimits;
  /** Event notifications, to end a `?wait=sent` early (the sending agent's, watched while waiting). */
  bus: Pick<EventBus, 'subscribe' | 'watchAgent'>;
  /** This process's outbound worker. */
  dispatch: OutboundDispatch;
  /** How often `?wait=sent` re-reads the status when no notification arrives. */
  waitPollMs?: number;
  /** Counts messages queued for sending (observability/metrics.ts). */
  metrics?: Pick<Metrics, 'outbound'>;
}

/**
 * The outbound worker as the API sees it. A queued message is best committed already claimed, with
 * the lease of a worker slot reserved for it, and started in that slot: no claim query, no wait
 * for one. With every slot busy, it is committed unclaimed and the worker is woken to claim it.
 * Either way the row is the job: if this process dies first, the lease lapses and any replica
 * claims it (at least once, as for any attempt cut short).
 */
export interface OutboundDispatch {
  reserve(now: Date): { lockedUntil: Date; slot: { run(job: ClaimedMessage): void; release(): void } } | null;
  wake(): void;
}

export type AgentForSend = SendingAgent & { user_id: string; protection: unknown };

export type Accepted = { blocked: false; result: SendResult } | { blocked: true; result: SendResult; reason: string };

export interface AcceptOptions {
  /**
   * Runs in the transaction that stores the accepted message, unless the gate blocked it: a saved
   * draft sent this way is deleted with it, or, if it is gone (sent by a concurrent request) or
   * was changed since it was read, throws and nothing is stored (saved-drafts/service.ts).
   */
  consume?: (tx: Database) => Promise<void>;
}

/** A send as the two endpoints that compose a new message take it: a new message, or a reply to one in the mailbox. */
export type SendRequest = { kind: 'send'; req: z.output<typeof SendMessageRequest> } | { kind: 'reply'; originalId: string; req: z.output<typeof ReplyRequest> };

const FINAL = new Set(['sent', 'failed', 'bounced', 'rejected', 'blocked', 'cancelled']);

/** Message status → the SendResult vocabulary (wire/send.ts). */
export function sendStatus(status: string): SendResult['status'] {
  switch (status) {
    case 'held':
      return 'pending_review';
    case 'sent':
      return 'sent';
    case 'failed':
    case 'bounced':
      return 'failed';
    case 'rejected':
    case 'blocked':
      return 'rejected';
    case 'scheduled':
      return 'scheduled';
    case 'cancelled':
      return 'cancelled';
    default:
      return 'accepted';
  }
}

export class OutboundService {
  private readonly repo: OutboundRepo;

  constructor(private readonly deps: OutboundServiceDeps) {
    this.repo = new OutboundRepo(deps.db, deps.clock);
  }

  async send(agent: AgentForSend, req: z.output<typeof SendMessageRequest>, options: AcceptOptions = {}): Promise<Accepted> {
    const id = newId('message');
    return this.accept(agent, id, await draftForSend(agent, req, this.repo, id), req, options);
  }

  async reply(agent: AgentForSend, originalId: string, req: z.output<typeof ReplyRequest>, options: AcceptOptions = {}): Promise<Accepted> {
    const id = newId('message');
    return this.accept(agent, id, await draftForReply(agent, req, this.repo, id, originalId), req, options);
  }

  async forward(agent: AgentForSend, originalId: string, req: z.output<typeof ForwardRequest>): Promise<Accepted> {
    const id = newId('message');
    return this.accept(agent, id, await draftForForward(agent, req, this.repo, this.deps.box, id, originalId), req, {});
  }

  /**
   * What a send would refuse, without the gate and without storing anything, so a saved draft is
   * refused at once for what could never be sent. An empty one passes: recipients are required
   * only when it is sent.
   */
  async check(agent: AgentForSend, send: SendRequest): Promise<void> {
    const id = newId('message');
    const draft = send.kind === 'reply' ? await draftForReply(agent, send.req, this.repo, id, send.originalId) : await draftForSend(agent, send.req, this.repo, id);
    checkSend(draft, send.req, this.deps.clock.now(), this.deps.limits, { recipientsRequired: false });
  }

  /**
   * Cancels a scheduled message before the worker takes it (status `cancelled`, email.cancelled).
   * Cancelling one already cancelled answers the same; anything else the mailbox shows is 409, and
   * what it does not show (held, another agent's) is 404 as an unknown id (messages/visibility.ts).
   */
  async cancel(agent: AgentForSend, id: string): Promise<SendResult> {
    await cancelScheduled(this.deps.db, this.deps.clock, agent, id);
    return this.result(agent, id);
  }

  /** The current SendResult of one of the agent's outbound messages. */
  async result(agent: { id: string }, id: string): Promise<SendResult> {
    const row = await this.repo.status(agent.id, id);
    if (!row) throw notFound(`message ${id}`);
    return {
      id: row.id,
      status: sendStatus(row.status),
      conversation_id: row.conversation_id,
      message_id_header: row.message_id_header ?? '',
      approval_expires_at: row.status === 'held' && row.review_expires_at ? new Date(row.review_expires_at).toISOString() : null,
      review_id: row.review_id ?? null,
      reason: row.status_reason,
      send_at: row.send_at ? new Date(row.send_at).toISOString() : null,
    };
  }

  /**
   * Waits until the message is sent or failed, or `timeoutMs` passes. Any committed event wakes
   * the check (email.sent / email.failed are events); a slow poll covers lost notifications.
   */
  async waitForFinal(agent: { id: string }, id: string, timeoutMs: number): Promise<{ final: boolean; result: SendResult }> {
    const deadline = Date.now() + timeoutMs;
    let wake: () => void = () => {};
    const unsubscribe = this.deps.bus.subscribe((notice) => {
      if (notice.agentId === null || notice.agentId === agent.id) wake();
    });
    // The sent or failed event is in the agent's feed: hear its channel while waiting.
    const unwatch = await this.deps.bus.watchAgent(agent.id);
    try {
      for (;;) {
        const row = await this.repo.status(agent.id, id);
        if (!row) throw notFound(`message ${id}`);
        const done = FINAL.has(row.status) || row.status === 'held';
        const left = deadline - Date.now();
        if (done || left <= 0) return { final: done, result: await this.result(agent, id) };
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, Math.min(left, this.deps.waitPollMs ?? 1000));
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
      }
    } finally {
      unwatch();
      unsubscribe();
    }
  }

  private async accept(
    agent: AgentForSend,
    id: string,
    draft: OutboundDraft,
    request: { priority?: MessagePriority | undefined; send_at?: string | undefined },
    options: AcceptOptions,
  ): Promise<Accepted> {
    const { box, clock } = this.deps;
    const now = clock.now();
    const { recipients, priority, attachmentBytes, estimate, sendAt } = checkSend(draft, request, now, this.deps.limits);

    const protection = parseStoredProtection(agent.protection);
    const decision = await this.deps.gates.outbound(protection, {
      agentAddress: agent.address,
      recipients,
      subject: draft.subject,
      text: draft.text,
      html: draft.html,
    });
    const reason = decision.reasons.length > 0 ? decision.reasons.join('; ') : null;
    const release = releaseAt(sendAt, now);
    const status = decision.action === 'block' ? 'blocked' : decision.action === 'review' ? 'held' : release.status;
    // Released to the outbound worker, now or at send_at: what the mailbox shows and counts.
    const released = status === 'queued' || status === 'scheduled';
    const sealedDraft = box.seal(JSON.stringify(draft));
    // The bodies and attachments are kept sealed for reads (GET …/messages/{id}); the raw form is
    // composed and stored by the worker on the first attempt.
    const content = sealContent(box, {
      raw: null,
      text: draft.text,
      html: draft.html,
      attachments: draft.attachments.map((a, idx) => ({
        filename: a.filename,
        contentType: a.contentType,
        size: attachmentBytes[idx]!,
        contentId: a.contentId,
        disposition: a.contentId ? 'inline' : 'attachment',
        content: Buffer.from(a.content, 'base64'),
      })),
    });
    // The sender is the agent the API key authenticated: verified.
    const facts: MessageFacts = { id, agentAddress: agent.address, conversationId: draft.conversationId, direction: 'outbound', from: agent.address, to: recipients, subject: pgText(draft.subject), verified: true, priority };
    const events = [
      ...(decision.action === 'flag' ? [messageEvent('email.flagged', facts, { reason })] : decision.action === 'block' ? [messageEvent('email.blocked', facts, { reason })] : []),
      ...(status === 'scheduled' ? [messageEvent('email.scheduled', facts)] : []),
    ];
    let review: { reviewId: string; expiresAt: Date } | null = null;

    const accepted = {
      userId: agent.user_id,
      events,
      counted: released,
      message: {
        id,
        agent_id: agent.id,
        conversation_id: draft.conversationId,
        direction: 'outbound' as const,
        status,
        queue_id: null,
        message_id_header: draft.messageId,
        in_reply_to: draft.inReplyTo,
        references_header: json(draft.references),
        // Outbound rows are unique by id; the inbound de-duplication key does not apply.
        dedupe_key: sha256Hex(`outbound\n${id}`),
        content_hash: sha256Hex(sealedDraft),
        from_address: agent.address,
        from_name: draft.from.name,
        to_addresses: json(draft.to),
        cc_addresses: json(draft.cc),
        bcc_addresses: json(draft.bcc),
        reply_to_addresses: json(draft.replyTo),
        subject: pgText(draft.subject),
        envelope: json({ mail_from: agent.address, rcpt_to: recipients }),
        authentication: null,
        // The sender is the agent the API key authenticated.
        verified: true,
        headers: json(Object.entries(draft.headers).map(([name, value]) => ({ name, value }))),
        blob_id: content.blobId,
        draft: sealedDraft,
        size_bytes: estimate,
        attachment_count: draft.attachments.length,
        priority,
        read_at: null,
        expires_at: draft.expiresAt ? new Date(draft.expiresAt) : null,
        received_at: now,
        created_at: now,
        status_reason: decision.action === 'pass' ? null : reason,
        next_attempt_at: released ? release.nextAttemptAt : null,
        send_at: sendAt,
      },
      content,
      search: draftSearchDocument(draft),
    };
    // Committed already claimed when a worker slot is free (OutboundDispatch): no claim query follows.
    const reservation = status === 'queued' ? this.deps.dispatch.reserve(now) : null;
    if (reservation) Object.assign(accepted.message, { locked_until: reservation.lockedUntil, attempts: 1, first_attempt_at: now });
    try {
      // The common case, nothing to hold, no attachments, no events, is one statement; anything
      // more is one transaction with the review it opens.
      if (status === 'queued' && content.attachments.length === 0 && events.length === 0 && !options.consume) {
        await OutboundRepo.insertAcceptedAlone(this.deps.db, accepted.message, content, accepted.search);
      } else {
        await this.deps.db.transaction().execute(async (tx) => {
          await OutboundRepo.insertAccepted(tx, accepted);
          // A blocked send keeps its draft: it can be changed and sent again.
          if (options.consume && status !== 'blocked') await options.consume(tx);
          if (status !== 'held') return;
          review = await this.deps.holds.hold(tx, {
            userId: agent.user_id,
            agentId: agent.id,
            agentAddress: agent.address,
            messageId: id,
            direction: 'outbound',
            reasons: decision.reasons,
            holds: protection.holds,
            notify: protection.review_notify,
            summary: { from: agent.address, to: recipients, subject: draft.subject, conversationId: draft.conversationId },
          });
        });
      }
    } catch (err) {
      reservation?.slot.release();
      throw err;
    }
    if (released) this.deps.metrics?.outbound('queued');
    if (reservation) {
      reservation.slot.run({
        id,
        agent_id: agent.id,
        user_id: agent.user_id,
        agent_address: agent.address,
        conversation_id: draft.conversationId,
        subject: accepted.message.subject,
        priority,
        draft: sealedDraft,
        raw: null,
        attempts: 1,
        delivery: [],
        first_attempt_at: now,
      });
    } else if (status === 'queued') {
      this.deps.dispatch.wake();
    }
    const held = review as { reviewId: string; expiresAt: Date } | null;
    const result: SendResult = {
      id,
      status: status === 'held' ? 'pending_review' : status === 'blocked' ? 'rejected' : status === 'scheduled' ? 'scheduled' : 'accepted',
      conversation_id: draft.conversationId,
      message_id_header: draft.messageId,
      approval_expires_at: held ? held.expiresAt.toISOString() : null,
      review_id: held ? held.reviewId : null,
      reason,
      send_at: sendAt ? sendAt.toISOString() : null,
    };
    return status === 'blocked' ? { blocked: true, result, reason: reason ?? 'blocked by the outbound policy' } : { blocked: false, result };
  }
}
