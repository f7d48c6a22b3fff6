/**
 * What a decision does, whoever makes it (API, magic link, expiry sweeper), in the caller's
 * transaction so the review, the message and the events commit together (the outbox):
 *
 *   outbound approve → edits applied to the sealed draft, message status 'queued' and due now
 *                      (the outbound worker sends it); reject → status 'rejected'.
 *   inbound  approve → held = false, status 'received', email.received (the agent sees it now);
 *                      reject → status 'rejected', still hidden from the agent.
 *   approve, either direction → counted in its conversation (messages/visibility.ts: only now does
 *                      the agent's mailbox show it).
 *   always           → email.review_approved | email.review_rejected.
 */
import { sql } from 'kysely';
import { replaceOutboundBodies } from '../blobs/repo.js';
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import { AppError } from '../http/errors.js';
import { inMailbox } from '../messages/visibility.js';
import type { OutboundDraft } from '../outbound/draft.js';
import { applyDraftEdits, hasEdits, type DraftEdits } from './draft-edits.js';
import { decideReview, type ReviewRow } from './repo.js';
import { insertMessageEvent, type EventMessage } from './review-events.js';

export interface DecisionInput {
  outcome: 'approve' | 'reject';
  /** Recorded in reviews.decided_by: "api:key_…", "magic_link", "expiry". */
  by: string;
  note: string | null;
  edits?: DraftEdits;
  /** The sweeper applying on_expiry (expired_* statuses, only once the hold lapsed). */
  byExpiry: boolean;
}

export class ReviewDecider {
  constructor(private readonly deps: { box: SecretBox; clock: Clock }) {}

  /** The decided review, or null when it was not pending (or not in the right window) any more. */
  async apply(tx: Database, reviewId: string, input: DecisionInput): Promise<ReviewRow | null> {
    const at = this.deps.clock.now();
    const approve = input.outcome === 'approve';
    const status = input.byExpiry ? (approve ? 'expired_approved' : 'expired_rejected') : approve ? 'approved' : 'rejected';
    const edits = input.edits && hasEdits(input.edits) ? input.edits : null;
    const review = await decideReview(tx, reviewId, { status, at, by: input.by, note: input.note, edits, byExpiry: input.byExpiry });
    if (!review) return null;

    const row = await tx
      .selectFrom('messages as m')
      .innerJoin('agents as a', 'a.id', 'm.agent_id')
      .select(['m.id', 'm.agent_id', 'a.address', 'm.conversation_id', 'm.direction', 'm.from_address', 'm.to_addresses', 'm.subject', 'm.verified', 'm.draft', 'm.received_at', 'm.expires_at'])
      .where('m.id', '=', review.message_id)
      .executeTakeFirstOrThrow();
    const message: EventMessage = {
      id: row.id,
      agentId: row.agent_id,
      agentAddress: row.address,
      conversationId: row.conversation_id,
      direction: row.direction,
      from: row.from_address,
      to: row.to_addresses.map((a) => a.address),
      subject: row.subject,
      verified: row.verified,
    };
    const reason = input.note ?? (input.byExpiry ? `the hold expired; on_expiry is ${review.on_expiry}` : null);

    if (edits && row.direction !== 'outbound') {
      throw new AppError('validation_error', 'edits apply only to outbound mail; approve an inbound hold without edits');
    }
    if (row.direction === 'outbound') {
      if (approve) {
        let update = {};
        let bodies: { text: Buffer | null; html: Buffer | null } | null = null;
        if (edits) {
          if (!row.draft) throw new AppError('conflict', `message ${row.id} has no draft to edit`);
          const draft = applyDraftEdits(JSON.parse(this.deps.box.open(row.draft).toString('utf8')) as OutboundDraft, edits);
          update = {
            draft: this.deps.box.seal(JSON.stringify(draft)),
            to_addresses: json(draft.to),
            cc_addresses: json(draft.cc),
            bcc_addresses: json(draft.bcc),
            subject: draft.subject,
          };
          // The outbound service keeps sealed copies of the bodies for reads (in the message's blob); keep them in step.
          bodies = { text: draft.text === null ? null : this.deps.box.seal(draft.text), html: draft.html === null ? null : this.deps.box.seal(draft.html) };
          message.to = draft.to.map((a) => a.address);
          message.subject = draft.subject;
        }
        await tx.updateTable('messages').set({ ...update, status: 'queued', next_attempt_at: at, status_reason: null }).where('id', '=', row.id).where('status', '=', 'held').execute();
        if (bodies) await replaceOutboundBodies(tx, row.id, bodies);
        await showInConversation(tx, message, row.received_at, at);
      } else {
        await tx.updateTable('messages').set({ status: 'rejected', status_reason: reason ?? 'rejected by the reviewer', next_attempt_at: null }).where('id', '=', row.id).where('status', '=', 'held').execute();
      }
    } else if (approve) {
      await tx.updateTable('messages').set({ held: false, status: 'received' }).where('id', '=', row.id).where('held', '=', true).execute();
      await showInConversation(tx, message, row.received_at, at);
      // The email.received it would have had on arrival, with the same deterministic id; none for
      // a copy whose sender's expires_at passed while it was held: it is not delivered, and the
      // mailbox does not show it (messages/visibility.ts), so no event announces it either.
      if (row.expires_at === null || row.expires_at > at) await insertMessageEvent(tx, { userId: review.user_id, type: 'email.received', message, at });
    } else {
      await tx.updateTable('messages').set({ status: 'rejected', status_reason: reason ?? 'rejected by the reviewer' }).where('id', '=', row.id).execute();
    }

    await insertMessageEvent(tx, {
      userId: review.user_id,
      type: approve ? 'email.review_approved' : 'email.review_rejected',
      message,
      reviewId: review.id,
      reason,
      at,
    });
    return review;
  }
}

/**
 * Held mail was not counted in its conversation, nor did it name it (inbound/repo.ts,
 * outbound/repo.ts); released, it is. The count is taken afresh of what the mailbox shows
 * (messages/visibility.ts), so it is right whatever counted before.
 */
async function showInConversation(tx: Database, message: EventMessage, receivedAt: Date, now: Date): Promise<void> {
  await tx
    .updateTable('conversations')
    .set({
      message_count: sql<number>`(SELECT count(*) FROM messages m WHERE m.conversation_id = ${message.conversationId} AND ${inMailbox(message.agentId, now)})::integer`,
      last_message_at: sql<Date>`greatest(last_message_at, ${receivedAt}::timestamptz)`,
      subject: sql<string | null>`coalesce(subject, ${message.subject}::text)`,
    })
    .where('id', '=', message.conversationId)
    .execute();
}
