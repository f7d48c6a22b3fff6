/**
 * Contacts (docs/CONTACTS.md): an agent asks to correspond with an address; the other side's owner
 * approves with the code the requester passed on out of band; the grant then works both ways, for
 * the inbound gate's `contacts` policy, until it expires or either side revokes it.
 */
import { z } from 'zod';
import { CONTACT_DIRECTIONS, CONTACT_STATES } from '../values.js';
import { Timestamp } from './primitives.js';

export { CONTACT_DIRECTIONS, CONTACT_STATES };
export type ContactState = (typeof CONTACT_STATES)[number];
export type ContactDirection = (typeof CONTACT_DIRECTIONS)[number];

/** POST /v1/agents/{address}/contacts. */
export const ContactRequestInput = z
  .object({
    /** Any address: an agent of this gateway (its owner approves) or one outside it (your own account approves). */
    address: z.string().min(3).max(254),
    /** Shown to whoever approves; the requester's words, not the gateway's. */
    note: z.string().max(500).optional(),
    /** When the grant ends once approved; omitted: until revoked. */
    expires_at: Timestamp.optional(),
  })
  .meta({ id: 'ContactRequestInput' });
export type ContactRequestInput = z.input<typeof ContactRequestInput>;

/**
 * The answer to a request, the same whether or not the address exists or will accept. `code` is
 * shown this once, to the requester only: pass it to the other side's owner out of band.
 */
export const ContactRequestResult = z
  .object({
    id: z.string(),
    state: z.literal('pending'),
    code: z.string(),
    code_expires_at: Timestamp,
  })
  .meta({ id: 'ContactRequestResult' });
export type ContactRequestResult = z.infer<typeof ContactRequestResult>;

/** POST /v1/agents/{address}/contacts/{id}/approve: agent keys must give the code; account keys may omit it. */
export const ApproveContactInput = z
  .object({ code: z.string().max(32).optional() })
  .meta({ id: 'ApproveContactInput' });
export type ApproveContactInput = z.input<typeof ApproveContactInput>;

/** One contact as the agent in the path sees it: `address` is that agent, `peer_address` the other side. */
export const Contact = z
  .object({
    id: z.string(),
    address: z.string(),
    peer_address: z.string(),
    direction: z.enum(CONTACT_DIRECTIONS),
    state: z.enum(CONTACT_STATES),
    /** The requester's note: its words, read as a claim. */
    note: z.string().nullable(),
    /** Until when the code may be used (pending requests). */
    code_expires_at: Timestamp,
    /** The grant's expiry; null: until revoked. */
    expires_at: Timestamp.nullable(),
    created_at: Timestamp,
    approved_at: Timestamp.nullable(),
    revoked_at: Timestamp.nullable(),
  })
  .meta({ id: 'Contact' });
export type Contact = z.infer<typeof Contact>;

export const ListContactsQuery = z.object({
  state: z.enum(CONTACT_STATES).optional(),
  direction: z.enum(CONTACT_DIRECTIONS).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
});
export type ListContactsQuery = { state?: ContactState; direction?: ContactDirection; limit?: number };

/** Newest first; at most `limit`. */
export const ContactList = z.object({ items: z.array(Contact) }).meta({ id: 'ContactList' });
export type ContactList = z.infer<typeof ContactList>;
