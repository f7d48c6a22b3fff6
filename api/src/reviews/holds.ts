/**
 * ReviewHolds (ports.ts): puts a message on hold inside the caller's transaction. One hold writes
 * the review, its two magic-link tokens (hashed), the reviewer's notification (system_mail, sealed)
 * and the email.review_requested event, so either all of it exists or none of it does.
 */
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import { appendEvents, messageEvent } from '../events/outbox.js';
import { newId } from '../ids.js';
import type { HoldRequest, ReviewHolds } from './ports.js';
import { loadPreviewSource, previewText } from './message-preview.js';
import { composeNotification } from './notification.js';
import { insertReview } from './repo.js';
import { issueToken, reviewLink } from './tokens.js';

export interface ReviewHoldsDeps {
  box: SecretBox;
  clock: Clock;
  /** Where the magic links point: config.public_url. */
  publicUrl: string;
  /** From address of the notification: review.notify_from or review@<shared_domain>. */
  notifyFrom: string;
}

export class ReviewHoldsService implements ReviewHolds {
  constructor(private readonly deps: ReviewHoldsDeps) {}

  async hold(tx: Database, req: HoldRequest): Promise<{ reviewId: string; expiresAt: Date }> {
    const { box, clock } = this.deps;
    const at = clock.now();
    const expiresAt = new Date(at.getTime() + req.holds.ttl_seconds * 1000);
    const reviewId = newId('review');
    const approve = issueToken('approve');
    const reject = issueToken('reject');
    await insertReview(
      tx,
      {
        id: reviewId,
        user_id: req.userId,
        agent_id: req.agentId,
        message_id: req.messageId,
        direction: req.direction,
        status: 'pending',
        reasons: req.reasons,
        expires_at: expiresAt,
        on_expiry: req.holds.on_expiry,
        created_at: at,
      },
      [approve, reject],
    );

    const source = await loadPreviewSource(tx, req.messageId);
    const reviewers = req.notify.length > 0 ? req.notify : [await this.ownerEmail(tx, req.userId)];
    const mail = composeNotification({
      reviewId,
      agentAddress: req.agentAddress,
      direction: req.direction,
      from: req.summary.from,
      to: req.summary.to,
      subject: req.summary.subject,
      reasons: req.reasons,
      preview: previewText(source, box),
      sendAt: source.send_at === null ? null : new Date(source.send_at),
      expiresAt,
      onExpiry: req.holds.on_expiry,
      approveUrl: reviewLink(this.deps.publicUrl, approve.token),
      rejectUrl: reviewLink(this.deps.publicUrl, reject.token),
    });
    await tx
      .insertInto('system_mail')
      .values({
        id: newId('systemMail'),
        user_id: req.userId,
        kind: 'review_requested',
        // Names the agent and its held mail: erasing the agent takes it (erasure/plan.ts).
        agent_id: req.agentId,
        from_address: this.deps.notifyFrom,
        to_addresses: json(reviewers),
        subject: mail.subject,
        // Sealed: the bodies carry live approval links.
        text_body: box.seal(mail.text),
        html_body: box.seal(mail.html),
        status: 'queued',
        next_attempt_at: at,
        locked_until: null,
        status_reason: null,
        created_at: at,
        sent_at: null,
      })
      .execute();

    const requested = messageEvent(
      'email.review_requested',
      {
        id: req.messageId,
        agentAddress: req.agentAddress,
        conversationId: req.summary.conversationId,
        direction: req.direction,
        from: req.summary.from,
        to: req.summary.to,
        subject: req.summary.subject,
        verified: source.verified,
        priority: source.priority,
      },
      { reviewId, reason: req.reasons.join('; ') || null },
    );
    await appendEvents(tx, [requested], { userId: req.userId, agentId: req.agentId, at });
    return { reviewId, expiresAt };
  }

  private async ownerEmail(tx: Database, userId: string): Promise<string> {
    const row = await tx.selectFrom('users').select('email').where('id', '=', userId).executeTakeFirstOrThrow();
    return row.email;
  }
}
