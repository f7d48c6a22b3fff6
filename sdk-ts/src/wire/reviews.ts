import { z } from 'zod';
import { MESSAGE_DIRECTIONS } from './messages.js';
import { PageQuery, Timestamp, page } from './primitives.js';

export const REVIEW_STATUSES = ['pending', 'approved', 'rejected', 'expired_approved', 'expired_rejected'] as const;

export const Review = z
  .object({
    id: z.string(),
    agent_address: z.string(),
    message_id: z.string(),
    direction: z.enum(MESSAGE_DIRECTIONS),
    status: z.enum(REVIEW_STATUSES),
    reasons: z.array(z.string()),
    from: z.string().nullable(),
    to: z.array(z.string()),
    subject: z.string().nullable(),
    text: z.string().nullable(),
    send_at: Timestamp.nullable().describe(
      'Outbound mail sent with send_at: when it goes out if approved before then (approved later, it goes out at once). Null for mail sent at once and for inbound mail.',
    ),
    expires_at: Timestamp,
    on_expiry: z.enum(['approve', 'reject']),
    decided_at: Timestamp.nullable(),
    decided_by: z.string().nullable(),
    decision_note: z.string().nullable(),
    created_at: Timestamp,
  })
  .meta({ id: 'Review' });
export type Review = z.infer<typeof Review>;
export const ReviewPage = page(Review).meta({ id: 'ReviewPage' });
export type ReviewPage = z.infer<typeof ReviewPage>;

/** How many reviews wait for a decision: what a queue shows in its header without listing them all. */
export const ReviewCount = z.object({ pending: z.number().int().nonnegative() }).meta({ id: 'ReviewCount' });
export type ReviewCount = z.infer<typeof ReviewCount>;

export const ApproveReviewRequest = z
  .object({
    /** Optional edits to an outbound message before it leaves. */
    to: z.array(z.string().max(320)).max(100).optional(),
    cc: z.array(z.string().max(320)).max(100).optional(),
    bcc: z.array(z.string().max(320)).max(100).optional(),
    subject: z.string().max(998).refine((v) => !/[\r\n]/.test(v), 'no line breaks').optional(),
    text: z.string().max(10 * 1024 * 1024).optional(),
    html: z.string().max(10 * 1024 * 1024).optional(),
    note: z.string().max(1000).optional(),
  })
  .meta({ id: 'ApproveReviewRequest' });

export const RejectReviewRequest = z.object({ reason: z.string().max(1000).default('') }).meta({ id: 'RejectReviewRequest' });

export const ListReviewsQuery = PageQuery.extend({
  status: z.enum(REVIEW_STATUSES).optional(),
  direction: z.enum(MESSAGE_DIRECTIONS).optional(),
  agent_address: z.string().max(254).optional(),
});
export type ListReviewsQuery = z.infer<typeof ListReviewsQuery>;
export type ApproveReviewRequest = z.infer<typeof ApproveReviewRequest>;
export type RejectReviewRequest = z.infer<typeof RejectReviewRequest>;
