/**
 * The relay's InboundSink: stores a verified, parsed message once per recipient agent, with its
 * conversation and its email.received event, in ONE transaction. The relay answers 250 only after
 * this resolves, so a 250 always means committed (DESIGN §4); any throw becomes 451.
 */
import type { InboundMessage, InboundSink } from '@e2a/relay';
import type { Clock } from '../clock.js';
import { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { json, pgText } from '../db/database.js';
import { resolveConversation } from '../conversations/threading.js';
import { appendEvent } from '../events/outbox.js';
import { newId, sha256Hex } from '../ids.js';

export interface InboundServiceDeps {
  db: Database;
  box: SecretBox;
  clock: Clock;
}

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
    await this.deps.db.transaction().execute(async (tx) => {
      for (const recipient of message.envelope.recipients) {
        await this.storeFor(tx, recipient.agentId, message, queueId, sealed);
      }
    });
    return { queueId };
  }

  private async storeFor(
    tx: Database,
    agentId: string,
    message: InboundMessage,
    queueId: string,
    sealed: { raw: Buffer; text: Buffer | null; html: Buffer | null; attachments: Array<InboundMessage['parsed']['attachments'][number] & { sealed: Buffer; sha256: string }> },
  ): Promise<void> {
    const agent = await tx.selectFrom('agents').select(['id', 'user_id', 'address']).where('id', '=', agentId).executeTakeFirst();
    // The agent was deleted between RCPT and DATA: nothing to deliver to.
    if (!agent) return;
    const dedupeKey = sha256Hex(`${agent.address}\n${message.messageId ?? ''}\n${message.contentHash}`);
    const duplicate = await tx
      .selectFrom('messages')
      .select('id')
      .where('agent_id', '=', agent.id)
      .where('dedupe_key', '=', dedupeKey)
      .executeTakeFirst();
    if (duplicate) return;

    const parsed = message.parsed;
    const at = message.receivedAt;
    const conversationId = await resolveConversation(tx, {
      agentId: agent.id,
      inReplyTo: parsed.inReplyTo,
      references: parsed.references,
      subject: parsed.subject,
      at,
    });
    const id = newId('message');
    await tx
      .insertInto('messages')
      .values({
        id,
        agent_id: agent.id,
        conversation_id: conversationId,
        direction: 'inbound',
        status: 'received',
        queue_id: queueId,
        message_id_header: pgText(message.messageId),
        in_reply_to: pgText(parsed.inReplyTo),
        references_header: json(parsed.references),
        dedupe_key: dedupeKey,
        content_hash: message.contentHash,
        from_address: pgText(parsed.from?.address.toLowerCase() ?? null),
        from_name: pgText(parsed.from?.name || null),
        to_addresses: json(parsed.to),
        cc_addresses: json(parsed.cc),
        subject: pgText(parsed.subject),
        envelope: json({
          mail_from: message.envelope.mailFrom,
          remote_address: message.envelope.remoteAddress,
          helo: message.envelope.helo,
          rcpt_to: agent.address,
        }),
        authentication: json(message.authentication),
        verified: message.authentication.verified,
        headers: json(parsed.headers),
        text_body: sealed.text,
        html_body: sealed.html,
        raw: sealed.raw,
        size_bytes: message.raw.length,
        attachment_count: sealed.attachments.length,
        received_at: at,
        created_at: this.deps.clock.now(),
      })
      .execute();
    if (sealed.attachments.length > 0) {
      await tx
        .insertInto('attachments')
        .values(
          sealed.attachments.map((a, idx) => ({
            message_id: id,
            idx,
            filename: a.filename,
            content_type: a.contentType,
            size_bytes: a.size,
            content_id: a.contentId,
            disposition: a.disposition,
            sha256: a.sha256,
            content: a.sealed,
          })),
        )
        .execute();
    }
    await appendEvent(tx, {
      type: 'email.received',
      userId: agent.user_id,
      agentId: agent.id,
      messageId: id,
      createdAt: at,
      data: {
        message_id: id,
        agent_address: agent.address,
        conversation_id: conversationId,
        direction: 'inbound',
        from: parsed.from?.address.toLowerCase() ?? null,
        to: parsed.to.map((a) => a.address),
        subject: parsed.subject,
        verified: message.authentication.verified,
      },
    });
  }
}
