/**
 * The relay's InboundSink: stores a verified, parsed message once per recipient agent, with its
 * conversation and its email.received event, in ONE transaction. The relay answers 250 only after
 * this resolves, so a 250 always means committed (DESIGN §4); any throw becomes 451.
 */
import type { InboundMessage, InboundSink, ParsedAttachment, Recipient } from '@e2a/relay';
import { EVENT_SCHEMA_VERSION, type MessageEventData } from '@e2a/sdk/wire';
import type { Clock } from '../clock.js';
import { findConversation } from '../conversations/threading.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { json, pgText } from '../db/database.js';
import { eventId, newId, sha256Hex } from '../ids.js';
import { insertInboundCopy } from './repo.js';

export interface InboundServiceDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
}

type SealedAttachment = ParsedAttachment & { sealed: Buffer; sha256: string };

export class InboundService implements InboundSink {
  constructor(private readonly deps: InboundServiceDeps) {}

  async accept(message: InboundMessage): Promise<{ queueId: string }> {
    const queueId = newId('queue');
    const { box } = this.deps;
    const sealed = {
      raw: box.seal(message.raw),
      text: message.parsed.text === null ? null : box.seal(message.parsed.text),
      html: message.parsed.html === null ? null : box.seal(message.parsed.html),
      attachments: message.parsed.attachments.map((a) => ({ ...a, sealed: box.seal(a.content), sha256: sha256Hex(a.content) })),
    };
    const recipients = message.envelope.recipients;
    // The common case, one recipient and no attachments, is a single statement (its own
    // transaction); anything more is wrapped so every copy commits together.
    if (recipients.length === 1 && sealed.attachments.length === 0) {
      await this.storeFor(this.deps.db, recipients[0]!, message, queueId, sealed);
    } else {
      await this.deps.db.transaction().execute(async (tx) => {
        for (const recipient of recipients) await this.storeFor(tx, recipient, message, queueId, sealed);
      });
    }
    return { queueId };
  }

  private async storeFor(
    db: Database,
    recipient: Recipient,
    message: InboundMessage,
    queueId: string,
    sealed: { raw: Buffer; text: Buffer | null; html: Buffer | null; attachments: SealedAttachment[] },
  ): Promise<void> {
    const parsed = message.parsed;
    const at = message.receivedAt;
    const conversationId = await findConversation(db, {
      agentId: recipient.agentId,
      inReplyTo: parsed.inReplyTo,
      references: parsed.references,
    });
    const id = newId('message');
    const conversation = conversationId ?? newId('conversation');
    const from = pgText(parsed.from?.address.toLowerCase() ?? null);
    const subject = pgText(parsed.subject);
    const stored = await insertInboundCopy(
      db,
      {
        id,
        agent_id: recipient.agentId,
        conversation_id: conversation,
        direction: 'inbound',
        status: 'received',
        queue_id: queueId,
        message_id_header: pgText(message.messageId),
        in_reply_to: pgText(parsed.inReplyTo),
        references_header: json(parsed.references),
        dedupe_key: sha256Hex(`${recipient.address}\n${message.messageId ?? ''}\n${message.contentHash}`),
        content_hash: message.contentHash,
        from_address: from,
        from_name: pgText(parsed.from?.name || null),
        to_addresses: json(parsed.to),
        cc_addresses: json(parsed.cc),
        subject,
        envelope: json({
          mail_from: message.envelope.mailFrom,
          remote_address: message.envelope.remoteAddress,
          helo: message.envelope.helo,
          rcpt_to: recipient.address,
        }),
        authentication: json(message.authentication),
        verified: message.authentication.verified,
        headers: json(parsed.headers),
        text_body: sealed.text,
        html_body: sealed.html,
        raw: sealed.raw,
        size_bytes: message.raw.length,
        attachment_count: sealed.attachments.length,
        read_at: null,
        received_at: at,
        created_at: this.deps.clock.now(),
      },
      { subject },
      {
        id: eventId(id, 'email.received'),
        type: 'email.received',
        schema_version: EVENT_SCHEMA_VERSION,
        data: json({
          message_id: id,
          agent_address: recipient.address,
          conversation_id: conversation,
          direction: 'inbound',
          from,
          to: parsed.to.map((a) => a.address),
          subject,
          verified: message.authentication.verified,
        } satisfies MessageEventData),
      },
    );
    if (stored && sealed.attachments.length > 0) {
      await db
        .insertInto('attachments')
        .values(
          sealed.attachments.map((a, idx) => ({
            message_id: id,
            idx,
            filename: pgText(a.filename),
            content_type: pgText(a.contentType),
            size_bytes: a.size,
            content_id: pgText(a.contentId),
            disposition: a.disposition,
            sha256: a.sha256,
            content: a.sealed,
          })),
        )
        .execute();
    }
  }
}
