/**
 * Magic links (`${public_url}/review/{token}`). GET only ever shows a page: mail security scanners
 * and link previewers fetch every URL in a message, so a GET that acted would approve mail nobody
 * looked at. The confirm page's form POSTs back to the same URL, and only that POST acts.
 *
 * No cookies or sessions: the unguessable token in the URL is the only credential, which also makes
 * the POST CSRF-proof (a forging site would need the token). Tokens are single-use and expire with
 * the hold; once a hold lapses only the expiry sweeper decides it.
 */
import type { Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { loadPreviewSource, previewText } from './message-preview.js';
import type { ReviewDecider } from './outcome.js';
import { consumeToken, findToken, getReview, type ReviewStatus } from './repo.js';
import { hashToken, isWellFormedToken, type TokenAction } from './tokens.js';

export interface ReviewSummary {
  agentAddress: string;
  direction: 'inbound' | 'outbound';
  from: string | null;
  to: string[];
  subject: string | null;
  reasons: string[];
  preview: string | null;
  /** Outbound mail sent with send_at: when it leaves if approved before then (after it: at once). */
  sendAt: Date | null;
  expiresAt: Date;
  onExpiry: 'approve' | 'reject';
}

export type LinkPage =
  /** `at`: when the page was asked for, which says whether a send_at has passed. */
  | { kind: 'confirm'; action: TokenAction; review: ReviewSummary; at: Date }
  /** `sendsAt`: an approved send_at still to come, which the message now waits for; null when it goes at once. */
  | { kind: 'done'; action: TokenAction; direction: 'inbound' | 'outbound'; sendsAt: Date | null }
  | { kind: 'used'; status: ReviewStatus }
  | { kind: 'decided'; status: ReviewStatus }
  | { kind: 'expired'; status: ReviewStatus; onExpiry: 'approve' | 'reject' }
  | { kind: 'invalid' };

export class MagicLinks {
  constructor(private readonly deps: { db: Database; box: SecretBox; clock: Clock; decider: ReviewDecider }) {}

  /** What the link would do, or why it no longer can. Never changes anything. */
  async view(token: string): Promise<LinkPage> {
    if (!isWellFormedToken(token)) return { kind: 'invalid' };
    const found = await findToken(this.deps.db, hashToken(token));
    if (!found) return { kind: 'invalid' };
    const review = await getReview(this.deps.db, found.review_id);
    if (!review) return { kind: 'invalid' };
    if (found.used_at) return { kind: 'used', status: review.status };
    if (review.status !== 'pending') return { kind: 'decided', status: review.status };
    const now = this.deps.clock.now();
    if (new Date(found.expires_at).getTime() <= now.getTime()) {
      return { kind: 'expired', status: review.status, onExpiry: review.on_expiry };
    }
    const source = await loadPreviewSource(this.deps.db, review.message_id);
    return {
      kind: 'confirm',
      action: found.action,
      at: now,
      review: {
        agentAddress: review.agent_address,
        direction: review.direction,
        from: review.from_address,
        to: [...review.to_addresses, ...review.cc_addresses].map((a) => a.address),
        subject: review.subject,
        reasons: review.reasons,
        preview: previewText(source, this.deps.box),
        sendAt: review.send_at === null ? null : new Date(review.send_at),
        expiresAt: new Date(review.expires_at),
        onExpiry: review.on_expiry,
      },
    };
  }

  /** Uses the token once and applies its action; any other case explains itself like view(). */
  async act(token: string): Promise<LinkPage> {
    if (!isWellFormedToken(token)) return { kind: 'invalid' };
    const outcome = await this.deps.db.transaction().execute(async (tx) => {
      const used = await consumeToken(tx, hashToken(token), this.deps.clock.now());
      if (!used) return null;
      const decided = await this.deps.decider.apply(tx, used.review_id, { outcome: used.action, by: 'magic_link', note: null, byExpiry: false });
      // The token stays used even when the review was decided elsewhere first: it has done its job.
      return { action: used.action, reviewId: used.review_id, decided };
    });
    if (!outcome) return this.view(token);
    if (!outcome.decided) {
      const review = await getReview(this.deps.db, outcome.reviewId);
      return { kind: 'decided', status: review?.status ?? 'pending' };
    }
    return { kind: 'done', action: outcome.action, direction: outcome.decided.direction, sendsAt: outcome.decided.sendsAt };
  }
}
