/** Reading an agent's mailbox: list, one message, its raw bytes, its attachments. */
import { claimHeaderLines, type ListMessagesQuery, type Message, type MessagePage, type MessageSummary } from '@e2a/sdk';
import { extractReplyHtml, extractReplyText } from '@e2a/relay';
import type { Authentication } from '@e2a/sdk/wire';
import { attachmentFromRaw } from '../blobs/content.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { toBuffer } from '../db/database.js';
import type { StoredAddress } from '../db/schema.js';
import { decodeCursor, toPage } from '../paging.js';
import { AppError, notFound } from '../errors.js';
import type { Clock } from '../clock.js';
import type { ClaimsSigner } from './claims.js';
import { labelsOf } from '../labels/conditions.js';
import { MessagesRepo } from './repo.js';
import { SearchService } from './search-service.js';

type SummaryRow = Awaited<ReturnType<MessagesRepo['list']>>[number];

/**
 * The reply's own text and HTML (relay/src/mime/reply-text.ts, reply-html.ts), computed as the
 * message is read rather than stored: one extraction costs about 13 µs for a typical 4 KB reply's
 * text and 85 µs for its HTML, 0.13 ms and 1.2 ms for a 64 KB thread (docs/PERFORMANCE.md, "Reply
 * extraction"), against a sealed column on every blob, a wider insert on the inbound path and a
 * backfill of the mail stored before; and a better extractor then applies to old mail too.
 */
function extractReply(text: string | null, html: string | null): Pick<Message, 'extracted_text' | 'extracted_html'> {
  return { extracted_text: text === null ? null : extractReplyText(text), extracted_html: html === null ? null : extractReplyHtml(html) };
}

function toSummary(row: SummaryRow, agentAddress: string): MessageSummary {
  return {
    id: row.id,
    agent_address: agentAddress,
    direction: row.direction,
    status: row.status as MessageSummary['status'],
    conversation_id: row.conversation_id,
    message_id_header: row.message_id_header,
    from: row.from_address ? { address: row.from_address, name: row.from_name } : null,
    to: row.to_addresses as StoredAddress[],
    cc: row.cc_addresses as StoredAddress[],
    subject: row.subject,
    size: row.size_bytes,
    attachment_count: row.attachment_count,
    verified: row.verified,
    priority: row.priority,
    received_at: new Date(row.received_at).toISOString(),
    read_at: row.read_at ? new Date(row.read_at).toISOString() : null,
    labels: labelsOf(row),
    // Only mail sent with send_at has one (scheduled, cancelled, or sent at its time).
    ...(row.send_at ? { send_at: new Date(row.send_at).toISOString() } : {}),
    deleted_at: row.deleted_at ? new Date(row.deleted_at).toISOString() : null,
  };
}

export class MessagesService {
  private readonly repo: MessagesRepo;
  /** Full-text search (docs/SEARCH.md): `list` with `q`, and GET /v1/search. */
  readonly search: SearchService;

  constructor(private readonly deps: { db: Database; box: SecretBox; claims: ClaimsSigner; clock: Clock }) {
    this.repo = new MessagesRepo(deps.db, deps.clock);
    this.search = new SearchService({ ...deps, summarise: toSummary });
  }

  async list(agent: { id: string; address: string }, query: ListMessagesQuery): Promise<MessagePage> {
    if (query.q !== undefined) return this.search.mailbox(agent, { ...query, q: query.q });
    const rows = await this.repo.list(agent.id, { ...query, beforeId: query.cursor ? decodeCursor(query.cursor) : undefined });
    return toPage(rows, query.limit, (row) => toSummary(row, agent.address));
  }

  async get(agent: { id: string; address: string; user_id: string }, id: string): Promise<Message> {
    const row = await this.repo.get(agent.id, id);
    if (!row) throw notFound(`message ${id}`);
    const { box } = this.deps;
    // Outbound mail has no raw bytes until the worker composes it.
    const raw = row.raw ? box.open(row.raw) : Buffer.alloc(0);
    const authentication = row.authentication as Authentication | null;
    const [attachments, claims] = await Promise.all([this.repo.attachments(row.blob_id), this.sign(agent.user_id, row.id, raw, authentication)]);
    const text = box.openText(row.text_body);
    const html = box.openText(row.html_body);
    return {
      ...toSummary(row, agent.address),
      in_reply_to: row.in_reply_to,
      references: row.references_header as string[],
      headers: row.headers as Array<{ name: string; value: string }>,
      text,
      html,
      ...extractReply(text, html),
      authentication,
      auth_claims: claims,
      attachments: attachments.map((a) => ({
        index: a.idx,
        filename: a.filename,
        content_type: a.content_type,
        size: a.size_bytes,
        content_id: a.content_id,
        disposition: a.disposition as 'attachment' | 'inline',
      })),
    };
  }

  /** Mark read or unread; returns the message as it now is. */
  async markRead(agent: { id: string; address: string; user_id: string }, id: string, read: boolean): Promise<Message> {
    if (!(await this.repo.setRead(agent.id, id, read ? this.deps.clock.now() : null))) throw notFound(`message ${id}`);
    return this.get(agent, id);
  }

  /** The stored RFC 5322 bytes with freshly signed X-E2A-Auth-* lines prepended. */
  async raw(agent: { id: string; user_id: string }, id: string): Promise<Buffer> {
    const row = await this.repo.getRaw(agent.id, id);
    if (!row) throw notFound(`message ${id}`);
    if (!row.raw) throw new AppError('not_found', `message ${id} has no RFC 5322 form yet: it is queued and not composed; read it again once it is sent`);
    const raw = this.deps.box.open(row.raw);
    const claims = await this.sign(agent.user_id, row.id, raw, row.authentication as Authentication | null);
    return Buffer.concat([Buffer.from(claimHeaderLines(claims), 'utf8'), raw]);
  }

  async attachment(agent: { id: string }, id: string, index: number) {
    const row = await this.repo.attachment(agent.id, id, index);
    if (!row) throw notFound(`message ${id}`);
    if (row.content === null) throw notFound(`attachment ${index} of message ${id}`);
    const content = row.raw ? await attachmentFromRaw(this.deps.box.open(row.raw), index, row.sha256!) : this.deps.box.open(toBuffer(row.content));
    if (!content) throw new Error(`attachment ${index} of message ${id}: no part of the stored message has the bytes recorded for it`);
    return {
      filename: row.filename,
      contentType: row.content_type!,
      disposition: row.disposition!,
      content,
    };
  }

  /** Signed with the claims key of the account that owns the mailbox (messages/claims.ts). */
  private async sign(accountId: string, messageId: string, raw: Buffer, authentication: Authentication | null) {
    const sender = authentication?.sender;
    const senderIsAgent = sender ? await this.repo.isAgentAddress(sender) : false;
    return this.deps.claims.sign({ accountId, messageId, raw, authentication, senderIsAgent });
  }
}
