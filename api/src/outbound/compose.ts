/**
 * OutboundDraft → the signed RFC 5322 bytes we send. Message-ID is the one fixed at acceptance;
 * Date is the composition time (RFC 5322 §3.6.1: when the message was ready to go, which after a
 * review is the approval, not the request). X-E2A-Conversation-Id rides along for local delivery
 * and is stripped by any e2a relay that receives it from outside (DESIGN §4).
 */
import { composeMessage, signDkim } from '@e2a/relay';
import type { DkimKeys } from '../domains/dkim-keys.js';
import type { OutboundDraft } from './draft.js';

export const CONVERSATION_HEADER = 'X-E2A-Conversation-Id';

export async function composeSigned(draft: OutboundDraft, deps: { dkim: DkimKeys; date: Date }): Promise<Buffer> {
  const raw = await composeMessage({
    from: draft.from,
    to: draft.to,
    cc: draft.cc,
    replyTo: draft.replyTo,
    subject: draft.subject,
    text: draft.text,
    html: draft.html,
    attachments: draft.attachments.map((a) => ({ filename: a.filename, contentType: a.contentType, content: Buffer.from(a.content, 'base64'), contentId: a.contentId })),
    messageId: draft.messageId,
    date: deps.date,
    inReplyTo: draft.inReplyTo,
    references: draft.references,
    headers: { ...draft.headers, [CONVERSATION_HEADER]: draft.conversationId },
  });
  return signForSender(raw, draft.from.address, deps);
}

/** DKIM-signs `raw` for its From address's domain: d= aligns for DMARC (RFC 7489 §3.1.1). */
export async function signForSender(raw: Buffer, from: string, deps: { dkim: DkimKeys; date: Date }): Promise<Buffer> {
  const domain = from.slice(from.lastIndexOf('@') + 1).toLowerCase();
  const key = await deps.dkim.forDomain(domain);
  return signDkim(raw, { domain, selector: key.selector, privateKeyPem: key.privateKeyPem }, deps.date);
}
