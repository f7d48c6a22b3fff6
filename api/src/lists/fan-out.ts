/**
 * What mail to a list becomes (docs/LISTS.md), decided before anything is stored: dropped as a loop
 * (it already carries this list's List-Id), refused by the post policy, or one recipient per member
 * agent, the poster left out. InboundService stores the copies; this module only decides.
 */
import type { Authentication, ParsedMessage, Recipient } from '@e2a/relay';
import { isExpired } from '../agents/expiry.js';
import type { Clock } from '../clock.js';
import type { Database } from '../db/database.js';
import type { RecipientContext } from '../inbound/directory.js';
import { ContactsRepo } from '../contacts/repo.js';
import { listHeaders, listIdOf, listIdsIn } from './headers.js';
import { mayPost } from './post-policy.js';
import { ListsRepo, type ListRow } from './repo.js';

/** Carried from RCPT to DATA for a list address (inbound/directory.ts). */
export interface ListContext {
  kind: 'list';
  listId: string;
}

export function isListContext(value: unknown): value is ListContext {
  return typeof value === 'object' && value !== null && (value as ListContext).kind === 'list';
}

export function listRecipient(list: { id: string; address: string }): Recipient {
  const context: ListContext = { kind: 'list', listId: list.id };
  return { agentId: list.id, address: list.address, context };
}

/** One member's copy-to-be: the member as a recipient, and the headers its copy carries. */
export interface MemberDelivery {
  list: ListRow;
  recipient: Recipient;
  /** Prepended to the copy's stored headers (the shared blob carries List-Id and List-Post). */
  headers: Array<{ name: string; value: string }>;
}

export type ListOutcome =
  | { kind: 'deliver'; list: ListRow; members: MemberDelivery[]; blobHeaders: string }
  | { kind: 'loop'; list: ListRow }
  | { kind: 'refused'; list: ListRow; reason: string };

export interface PostInput {
  parsed: ParsedMessage;
  authentication: Authentication;
  mailFrom: string;
  /** Sent by an agent of this gateway (local delivery). */
  local: boolean;
}

export class ListFanOut {
  private readonly repo: ListsRepo;
  private readonly contacts: ContactsRepo;

  constructor(private readonly deps: { db: Database; publicUrl: string; clock: Clock }) {
    this.repo = new ListsRepo(deps.db);
    this.contacts = new ContactsRepo(deps.db);
  }

  /** Looked up by address at RCPT time and by the outbound worker for local sends. */
  async recipientAt(address: string): Promise<Recipient | null> {
    // A list of an account scheduled for deletion is unknown, as its agents are (docs/DATA.md).
    const row = await this.deps.db
      .selectFrom('lists as l')
      .innerJoin('users as u', 'u.id', 'l.user_id')
      .select(['l.id', 'l.address'])
      .where('l.address', '=', address.toLowerCase())
      .where('u.erasure_id', 'is', null)
      .executeTakeFirst();
    return row ? listRecipient(row) : null;
  }

  async outcome(listId: string, post: PostInput): Promise<ListOutcome | null> {
    const list = await this.deps.db.selectFrom('lists').selectAll().where('id', '=', listId).executeTakeFirst();
    // Deleted between RCPT and DATA: nobody to deliver to.
    if (!list) return null;
    const row: ListRow = { ...list, description: list.description, member_count: 0 };
    // RFC 2919 §4 lets a list recognise its own mail: one that comes back (a member forwarding to
    // the list) is dropped, so a forwarding member cannot loop.
    if (listIdsIn(post.parsed.headers).includes(listIdOf(row.name, row.address))) return { kind: 'loop', list: row };
    const members = (await this.repo.allMembers(row.id)).filter((m) => !isExpired(m.expires_at, this.deps.clock.now()) && m.erasure_id === null);
    const from = post.local ? post.mailFrom.toLowerCase() : (post.parsed.from?.address.toLowerCase() ?? null);
    const memberAddresses = new Set(members.map((m) => m.address));
    // One indexed probe, and only for the policy that asks: is the author a contact of a member?
    const contactOfMember =
      row.post_policy === 'contacts' && from !== null && !memberAddresses.has(from)
        ? await this.contacts.isContactOfAny(members.map((m) => m.agent_id), from, this.deps.clock.now())
        : false;
    const verdict = mayPost(row, { from, authentication: post.authentication, local: post.local, members: memberAddresses, contactOfMember });
    if (!verdict.ok) return { kind: 'refused', list: row, reason: verdict.reason };
    const headersFor = (address: string) => listHeaders(row, address, this.deps.publicUrl);
    const shared = headersFor('').slice(0, 2);
    return {
      kind: 'deliver',
      list: row,
      // No echo: the poster, if a member, gets no copy of its own post.
      members: members
        .filter((m) => m.address !== from)
        .map((m) => {
          const context: RecipientContext = { userId: m.user_id, protection: m.protection };
          return { list: row, recipient: { agentId: m.agent_id, address: m.address, context }, headers: headersFor(m.address) };
        }),
      blobHeaders: shared.map((h) => `${h.name}: ${h.value}\r\n`).join(''),
    };
  }
}
