/**
 * The review API's rules. Reviews are an account-level power: an agent-scoped key can neither list
 * nor decide them (403), because an agent approving its own held mail (or reading why it was held,
 * which may quote the injection it fell for) would defeat the hold. Another tenant's review is
 * reported as not found, so ids do not leak.
 */
import type { ApproveReviewRequest, ListReviewsQuery, Review, ReviewCount, ReviewPage } from '@e2a/sdk/wire';
import type { Principal } from '../accounts/principal.js';
import { isoTime, type Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { decodeCursor, toPage } from '../paging.js';
import { AppError, notFound } from '../errors.js';
import { loadPreviewSource, previewText } from './message-preview.js';
import type { ReviewDecider } from './outcome.js';
import { countPendingReviews, getReview, listReviews, type ReviewView } from './repo.js';

export function toWireReview(row: ReviewView, text: string | null): Review {
  return {
    id: row.id,
    agent_address: row.agent_address,
    message_id: row.message_id,
    direction: row.direction,
    status: row.status,
    reasons: row.reasons,
    from: row.from_address,
    to: [...row.to_addresses, ...row.cc_addresses].map((a) => a.address),
    subject: row.subject,
    text,
    send_at: isoTime(row.send_at),
    expires_at: isoTime(row.expires_at),
    on_expiry: row.on_expiry,
    decided_at: isoTime(row.decided_at),
    decided_by: row.decided_by,
    decision_note: row.decision_note,
    created_at: isoTime(row.created_at),
  };
}

function requireAccount(principal: Principal): void {
  if (principal.scope !== 'account') {
    throw new AppError('forbidden', 'reviews are decided by the account owner; agent-scoped keys can neither list nor decide them. Use an account key');
  }
}

export class ReviewsService {
  constructor(private readonly deps: { db: Database; box: SecretBox; clock: Clock; decider: ReviewDecider }) {}

  /** Lists carry `text: null`: opening every draft would make a page cost its attachments. */
  async list(principal: Principal, query: ListReviewsQuery): Promise<ReviewPage> {
    requireAccount(principal);
    const rows = await listReviews(this.deps.db, principal.userId, {
      limit: query.limit,
      beforeId: query.cursor ? decodeCursor(query.cursor) : undefined,
      status: query.status,
      direction: query.direction,
      agentAddress: query.agent_address,
    });
    return toPage(rows, query.limit, (r) => toWireReview(r, null));
  }

  /** The count a queue header shows; a list page alone cannot say how many there are in all. */
  async count(principal: Principal): Promise<ReviewCount> {
    requireAccount(principal);
    return { pending: await countPendingReviews(this.deps.db, principal.userId) };
  }

  async get(principal: Principal, id: string): Promise<Review> {
    requireAccount(principal);
    return this.withText(await this.find(principal, id));
  }

  async approve(principal: Principal, id: string, body: ApproveReviewRequest): Promise<Review> {
    const { note, ...edits } = body;
    return this.decide(principal, id, { outcome: 'approve', by: `api:${principal.keyId}`, note: note ?? null, edits, byExpiry: false });
  }

  async reject(principal: Principal, id: string, reason: string): Promise<Review> {
    return this.decide(principal, id, { outcome: 'reject', by: `api:${principal.keyId}`, note: reason || null, byExpiry: false });
  }

  private async decide(principal: Principal, id: string, input: Parameters<ReviewDecider['apply']>[2]): Promise<Review> {
    requireAccount(principal);
    await this.find(principal, id);
    const decided = await this.deps.db.transaction().execute((tx) => this.deps.decider.apply(tx, id, input));
    const row = await this.find(principal, id);
    if (!decided) {
      if (row.status !== 'pending') throw new AppError('conflict', `review ${id} is already ${row.status.replace('_', ' ')}; a review is decided once`);
      throw new AppError('conflict', `the hold on review ${id} expired at ${new Date(row.expires_at).toISOString()}; its on_expiry (${row.on_expiry}) applies`);
    }
    return this.withText(row);
  }

  private async withText(row: ReviewView): Promise<Review> {
    return toWireReview(row, previewText(await loadPreviewSource(this.deps.db, row.message_id), this.deps.box));
  }

  private async find(principal: Principal, id: string): Promise<ReviewView> {
    const row = await getReview(this.deps.db, id);
    if (!row || row.user_id !== principal.userId) throw notFound(`review ${id}`);
    return row;
  }
}
