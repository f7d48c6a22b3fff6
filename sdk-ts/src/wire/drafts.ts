/**
 * Saved drafts (docs/OUTBOUND.md, "Drafts and scheduled sending"): a send's fields kept for later,
 * every one optional, then sent with POST /v1/agents/{address}/drafts/{id}/send exactly as
 * POST …/messages (or, with `in_reply_to`, …/messages/{id}/reply) would send them.
 */
import { z } from 'zod';
import { page, PageQuery, Timestamp } from './primitives.js';
import { Recipient, SendMessageRequest } from './send.js';

/** An id as the API returns them (msg_…): anything else could never name a message. */
const MessageRef = z.string().regex(/^[a-z]{1,16}_[0-9a-z]{1,64}$/, 'a message id as the API returned it, e.g. msg_01j…');

/** POST (create) and PUT (replace: omitted fields take their defaults, as on a send) of a draft. */
export const DraftRequest = SendMessageRequest.extend({
  in_reply_to: MessageRef.optional().describe(
    "Send it as a reply to this message of the agent's mailbox: threaded (In-Reply-To, References, its conversation), to the original's sender plus `to`; an empty subject becomes \"Re: \" and the original's. Not with conversation_id.",
  ),
  reply_all: z.boolean().optional().describe('With in_reply_to: also to the original To and Cc'),
}).meta({ id: 'DraftRequest' });
export type DraftRequest = z.input<typeof DraftRequest>;

/** A draft in full: what was saved (defaults filled in), so a GET's fields can be PUT back as they are. */
export const Draft = DraftRequest.extend({
  id: z.string(),
  agent_address: z.string(),
  created_at: Timestamp,
  updated_at: Timestamp,
}).meta({ id: 'Draft' });
export type Draft = z.infer<typeof Draft>;

/** What a listing shows: no bodies, no attachments. */
export const DraftSummary = z
  .object({
    id: z.string(),
    agent_address: z.string(),
    to: z.array(Recipient),
    subject: z.string(),
    attachment_count: z.number().int(),
    in_reply_to: z.string().nullable(),
    send_at: Timestamp.nullable(),
    created_at: Timestamp,
    updated_at: Timestamp,
  })
  .meta({ id: 'DraftSummary' });
export type DraftSummary = z.infer<typeof DraftSummary>;

export const DraftPage = page(DraftSummary).meta({ id: 'DraftPage' });
export type DraftPage = z.infer<typeof DraftPage>;

export const ListDraftsQuery = PageQuery;
export type ListDraftsQuery = z.infer<typeof ListDraftsQuery>;
