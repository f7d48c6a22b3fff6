/**
 * What a decision does, whoever makes it (API, magic link, expiry sweeper), in the caller's
 * transaction so the review, the message and the events commit together (the outbox):
 *
 *   outbound approve → edits applied to the sealed draft, message status 'queued' and due now
 *                      (the outbound worker sends it), or 'scheduled' until a send_at still to
 *                      come (+ email.scheduled); reject → status 'rejected'.
 *   inbound  approve → held = false, status 'received', email.received (the agent sees it now);
 *                      reject → status 'rejected', still hidden from the agent.
 *   approve, either direction → counted in its conversation (messages/visibility.ts: only now does
 *                      the agent's mailbox show it).
 *   always           → email.review_approved | email.review_rejected.
 */
import { replaceOutboundBodies } from '../blobs/repo.js';
import type { Clock } from '../clock.js';
import { recountConversation } from '../conversations/repo.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { json } from '../db/database.js';
import { appendEvents, messageEvent, storedMessageFacts } from '../events/outbox.js';
import { AppError } from '../errors.js';
import { draftSearchDocument, searchVector } from '../messages/search-document.js';
import type { OutboundDraft } from '../outbound/draft.js';
import { releaseAt } from '../outbound/schedule.js';
import { applyDraftEdits, hasEdits, type DraftEdits } from './draft-edits.js';
import { decideReview, type ReviewRow } from './repo.js';

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

  /**
   * The decided review, or null when it was not pending (or not in the right window) any more.
   * `sendsAt`: the send_at an approved outbound message now waits for; null when it goes at once
   * (or was not outbound, or was rejected).
   */
  async apply(tx: Database, reviewId: string, input: DecisionInput): Promise<(ReviewRow & { sendsAt: Date | null }) | null> {
    const at = this.deps.clock.now();
    const approve = input.outcome === 'approve';
    const status = input.byExpiry ? (approve ? 'expired_approved' : 'expired_rejected') : approve ? 'approved' : 'rejected';
    const edits = input.edits && hasEdits(input.edits) ? input.edits : null;
    const review = await decideReview(tx, reviewId, { status, at, by: input.by, note: input.note, edits, byExpiry: input.byExpiry });
    if (!review) return null;

    const row = await tx
      .selectFrom('messages as m')
      .innerJoin('agents as a', 'a.id', 'm.agent_id')
      .select(['m.id', 'm.agent_id', 'a.address', 'm.conversation_id', 'm.direction', 'm.from_address', 'm.to_addresses', 'm.subject', 'm.verified', 'm.priority', 'm.draft', 'm.received_at', 'm.expires_at', 'm.send_at'])
      .where('m.id', '=', review.message_id)
      .executeTakeFirstOrThrow();
    const message = storedMessageFacts(row, row.address);
    const events = { userId: review.user_id, agentId: row.agent_id, at };
    let sendsAt: Date | null = null;
    const showInConversation = () => recountConversation(tx, { id: row.conversation_id, agentId: row.agent_id, subject: message.subject, receivedAt: row.received_at, now: at });
    const reason = input.note ?? (input.byExpiry ? `the hold expired; on_expiry is ${review.on_expiry}` : null);

    if (edits && row.direction !== 'outbound') {
      throw new AppError('validation_error', 'edits apply only to outbound mail; approve an inbound hold without edits');
    }
    if (row.direction === 'outbound') {
      if (approve) {
        let update = {};
        let bodies: Parameters<typeof replaceOutboundBodies>[2] | null = null;
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
          // Search finds the message by what it says once approved, not by what it said when held.
          bodies = {
            text: draft.text === null ? null : this.deps.box.seal(draft.text),
            html: draft.html === null ? null : this.deps.box.seal(draft.html),
            search: searchVector(draftSearchDocument(draft)),
          };
          message.to = draft.to.map((a) => a.address);
          message.subject = draft.subject;
        }
        // Held from acceptance, a scheduled send still leaves at its send_at if that is still to come.
        const release = releaseAt(row.send_at, at);
        await tx.updateTable('messages').set({ ...update, status: release.status, next_attempt_at: release.nextAttemptAt, status_reason: null }).where('id', '=', row.id).where('status', '=', 'held').execute();
        if (bodies) await replaceOutboundBodies(tx, row.id, bodies);
        await showInConversation();
        if (release.status === 'scheduled') {
          sendsAt = release.nextAttemptAt;
          await appendEvents(tx, [messageEvent('email.scheduled', message)], events);
        }
      } else {
        await tx.updateTable('messages').set({ status: 'rejected', status_reason: reason ?? 'rejected by the reviewer', next_attempt_at: null }).where('id', '=', row.id).where('status', '=', 'held').execute();
      }
    } else if (approve) {
      await tx.updateTable('messages').set({ held: false, status: 'received' }).where('id', '=', row.id).where('held', '=', true).execute();
      await showInConversation();
      // The email.received it would have had on arrival, with the same deterministic id; none for
      // a copy whose sender's expires_at passed while it was held: it is not delivered, and the
      // mailbox does not show it (messages/visibility.ts), so no event announces it either.
      if (row.expires_at === null || row.expires_at > at) await appendEvents(tx, [messageEvent('email.received', message)], events);
    } else {
      await tx.updateTable('messages').set({ status: 'rejected', status_reason: reason ?? 'rejected by the reviewer' }).where('id', '=', row.id).execute();
    }

    await appendEvents(tx, [messageEvent(approve ? 'email.review_approved' : 'email.review_rejected', message, { reviewId: review.id, reason })], events);
    return { ...review, sendsAt };
  }
}
