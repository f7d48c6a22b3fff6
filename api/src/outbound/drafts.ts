/**
 * Send, reply and forward requests → an OutboundDraft, the sealed form the worker composes later.
 *
 * Reply (RFC 5322 §3.6.4): In-Reply-To is the original's Message-ID; References is the original's
 * References plus its Message-ID; the recipient is the original Reply-To, else its From. reply_all
 * adds the original To and Cc, minus the agent itself.
 * Forward: the original goes along whole as a message/rfc822 attachment (RFC 2046 §5.2.1), so its
 * headers, attachments and DKIM signature survive; the agent's text is the new body.
 */
import { parseAddressList, parseMailbox, type Mailbox } from '@e2a/relay';
import type { ForwardRequest, ReplyRequest, SendMessageRequest } from '@e2a/sdk/wire';
import type { z } from 'zod';
import type { SecretBox } from '../crypto/secret-box.js';
import type { StoredAddress } from '../db/schema.js';
import { AppError, notFound } from '../errors.js';
import { newId, randomToken } from '../ids.js';
import type { DraftAddress, OutboundDraft } from './draft.js';
import type { OutboundRepo } from './repo.js';
import { toDraftAddresses, withoutAddresses } from './recipients.js';

export interface SendingAgent {
  id: string;
  address: string;
  domain: string;
  display_name: string | null;
}

type Send = z.output<typeof SendMessageRequest>;
type Reply = z.output<typeof ReplyRequest>;
type Forward = z.output<typeof ForwardRequest>;

/** Fixed at acceptance: threading, retries and the reviewer all see the same id (RFC 5322 §3.6.4). */
export function newMessageId(id: string, domain: string): string {
  return `${id}.${randomToken(9)}@${domain}`;
}

function base(agent: SendingAgent, messageId: string, conversationId: string): Pick<OutboundDraft, 'from' | 'messageId' | 'conversationId'> {
  return { from: { address: agent.address, name: agent.display_name }, messageId, conversationId };
}

const attachmentsOf = (list: Send['attachments']) =>
  list.map((a) => ({ filename: a.filename, contentType: a.content_type, content: a.content, contentId: a.content_id ?? null }));

export async function draftForSend(agent: SendingAgent, req: Send, repo: OutboundRepo, id: string): Promise<OutboundDraft> {
  if (req.conversation_id !== undefined && !(await repo.conversationExists(agent.id, req.conversation_id))) {
    throw new AppError('validation_error', `body.conversation_id: conversation ${req.conversation_id} is not one of this agent's`);
  }
  return {
    ...base(agent, newMessageId(id, agent.domain), req.conversation_id ?? newId('conversation')),
    to: toDraftAddresses(req.to, 'to'),
    cc: toDraftAddresses(req.cc, 'cc'),
    bcc: toDraftAddresses(req.bcc, 'bcc'),
    replyTo: toDraftAddresses(req.reply_to, 'reply_to'),
    subject: req.subject,
    text: req.text ?? null,
    html: req.html ?? null,
    attachments: attachmentsOf(req.attachments),
    headers: req.headers ?? {},
    inReplyTo: null,
    references: [],
    expiresAt: req.expires_at ?? null,
  };
}

type Original = NonNullable<Awaited<ReturnType<OutboundRepo['original']>>>;

/** The message replied to or forwarded: one the agent's mailbox shows, else not found like an unknown id (messages/visibility.ts). */
async function loadOriginal(agent: SendingAgent, repo: OutboundRepo, originalId: string): Promise<Original> {
  const original = await repo.original(agent.id, originalId);
  if (!original) throw notFound(`message ${originalId}`);
  return original;
}

function headerValue(original: Original, name: string): string | null {
  const headers = original.headers as Array<{ name: string; value: string }>;
  return headers.find((h) => h.name.toLowerCase() === name)?.value ?? null;
}

/** Addresses of a stored header list, each checked with the strict single-mailbox rules. */
function mailboxes(list: StoredAddress[] | Mailbox[]): Mailbox[] {
  const out: Mailbox[] = [];
  for (const a of list) {
    const parsed = parseMailbox(a.address);
    if (parsed.ok) out.push({ address: parsed.mailbox.address, name: a.name || null });
  }
  return out;
}

const prefixed = (prefix: string, subject: string | null) => {
  const s = (subject ?? '').trim();
  return new RegExp(`^${prefix}:`, 'i').test(s) ? s : `${prefix}: ${s}`.trim();
};

export async function draftForReply(agent: SendingAgent, req: Reply, repo: OutboundRepo, id: string, originalId: string): Promise<OutboundDraft> {
  const original = await loadOriginal(agent, repo, originalId);
  let primary: Mailbox[];
  if (original.direction === 'outbound') {
    // Replying to our own sent message continues the thread with the same recipients.
    primary = mailboxes(original.to_addresses as StoredAddress[]);
  } else {
    const replyTo = headerValue(original, 'reply-to');
    const fromReplyTo = replyTo ? parseAddressList(replyTo) : [];
    primary = fromReplyTo.length > 0 ? fromReplyTo : original.from_address ? mailboxes([{ address: original.from_address, name: original.from_name }]) : [];
  }
  const extraTo = toDraftAddresses(req.to, 'to');
  const self = [agent.address];
  const to = withoutAddresses([...primary, ...extraTo], self);
  let cc = toDraftAddresses(req.cc, 'cc');
  if (req.reply_all) {
    const others = [...mailboxes(original.to_addresses as StoredAddress[]), ...mailboxes(original.cc_addresses as StoredAddress[])];
    cc = withoutAddresses([...others, ...cc], [...self, ...to.map((a) => a.address)]);
  }
  const parentId = original.message_id_header;
  const references = [...(original.references_header as string[]), ...(parentId ? [parentId] : [])].slice(-20);
  return {
    ...base(agent, newMessageId(id, agent.domain), original.conversation_id),
    to,
    cc,
    bcc: toDraftAddresses(req.bcc, 'bcc'),
    replyTo: toDraftAddresses(req.reply_to, 'reply_to'),
    subject: req.subject ?? prefixed('Re', original.subject),
    text: req.text ?? null,
    html: req.html ?? null,
    attachments: attachmentsOf(req.attachments),
    headers: req.headers ?? {},
    inReplyTo: parentId,
    references,
    expiresAt: req.expires_at ?? null,
  };
}

export async function draftForForward(agent: SendingAgent, req: Forward, repo: OutboundRepo, box: SecretBox, id: string, originalId: string): Promise<OutboundDraft> {
  const original = await loadOriginal(agent, repo, originalId);
  if (!original.raw) throw new AppError('conflict', `message ${originalId} has no RFC 5322 form yet (it is queued); forward it once it is sent`);
  const raw = box.open(original.raw);
  const name = (original.subject ?? 'message').replace(/[^\p{L}\p{N} ._-]/gu, '_').slice(0, 80).trim() || 'message';
  return {
    ...base(agent, newMessageId(id, agent.domain), original.conversation_id),
    to: toDraftAddresses(req.to, 'to'),
    cc: toDraftAddresses(req.cc, 'cc'),
    bcc: toDraftAddresses(req.bcc, 'bcc'),
    replyTo: [],
    subject: prefixed('Fwd', original.subject),
    text: req.text ?? (req.html === undefined ? 'Forwarded message attached.' : null),
    html: req.html ?? null,
    attachments: [{ filename: `${name}.eml`, contentType: 'message/rfc822', content: raw.toString('base64'), contentId: null }],
    headers: {},
    inReplyTo: null,
    references: [],
  };
}

export type { DraftAddress };
