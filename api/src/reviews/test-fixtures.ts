/**
 * Test fixtures for the review feature: a held outbound message created the way
 * the outbound service does it (message row with status 'held' + holds.hold in one transaction),
 * and reading the reviewer's notification back out of system_mail.
 */
import { Protection, type ProtectionInput } from '@e2a/sdk/wire';
import type { Clock } from '../clock.js';
import { sealContent } from '../blobs/content.js';
import { insertBlob } from '../blobs/repo.js';
import { SecretBox } from '../crypto/secret-box.js';
import { json, type Database } from '../db/database.js';
import { newId, sha256Hex } from '../ids.js';
import type { OutboundDraft } from '../outbound/draft.js';
import type { TestGateway } from '../testing/gateway.js';
import { ReviewHoldsService } from './holds.js';

export function boxOf(gw: TestGateway): SecretBox {
  return new SecretBox(gw.gateway.secrets.encryptionKey);
}

/** A database and the key its bodies are sealed with: a whole gateway, or a bare test database. */
export type Storage = TestGateway | { db: Database; box: SecretBox };

function storage(s: Storage): { db: Database; box: SecretBox } {
  return 'gateway' in s ? { db: s.gateway.database.db, box: boxOf(s) } : s;
}

export async function holdOutbound(
  target: Storage,
  /** `sendAt`: held as a send with send_at is, the time on the row (not checked, so it may have passed). */
  opts: { agent: string; to: string[]; subject: string; text: string; clock?: Clock; protection?: ProtectionInput; sendAt?: Date },
): Promise<{ messageId: string; reviewId: string; expiresAt: Date }> {
  const { db, box } = storage(target);
  const clock = opts.clock ?? { now: () => new Date() };
  const agent = await db.selectFrom('agents').select(['id', 'user_id', 'address']).where('address', '=', opts.agent).executeTakeFirstOrThrow();
  const protection = Protection.parse(opts.protection ?? {});
  const messageId = newId('message');
  const conversationId = newId('conversation');
  const draft: OutboundDraft = {
    from: { address: agent.address, name: null },
    to: opts.to.map((address) => ({ address, name: null })),
    cc: [],
    bcc: [],
    replyTo: [],
    subject: opts.subject,
    text: opts.text,
    html: null,
    attachments: [],
    headers: {},
    messageId: `${messageId}@agents.test`,
    inReplyTo: null,
    references: [],
    conversationId,
  };
  const at = clock.now();
  const holds = new ReviewHoldsService({ box, clock, publicUrl: 'http://review.test', notifyFrom: 'review@agents.test' });
  const held = await db.transaction().execute(async (tx) => {
    await tx.insertInto('conversations').values({ id: conversationId, agent_id: agent.id, subject: opts.subject, created_at: at, last_message_at: at }).execute();
    const content = sealContent(box, { raw: null, text: opts.text, html: null, attachments: [] });
    await insertBlob(tx, content, at);
    await tx
      .insertInto('messages')
      .values({
        id: messageId,
        agent_id: agent.id,
        conversation_id: conversationId,
        direction: 'outbound',
        status: 'held',
        queue_id: null,
        message_id_header: draft.messageId,
        in_reply_to: null,
        references_header: json([]),
        dedupe_key: sha256Hex(messageId),
        content_hash: sha256Hex(opts.text),
        from_address: agent.address,
        from_name: null,
        to_addresses: json(draft.to),
        cc_addresses: json([]),
        subject: opts.subject,
        envelope: json({}),
        authentication: null,
        verified: true,
        headers: json([]),
        blob_id: content.blobId,
        size_bytes: opts.text.length,
        attachment_count: 0,
        read_at: null,
        received_at: at,
        next_attempt_at: null,
        locked_until: null,
        status_reason: null,
        sent_at: null,
        send_at: opts.sendAt ?? null,
        draft: box.seal(JSON.stringify(draft)),
      })
      .execute();
    return holds.hold(tx, {
      userId: agent.user_id,
      agentId: agent.id,
      agentAddress: agent.address,
      messageId,
      direction: 'outbound',
      reasons: ['recipient not on the outbound allowlist'],
      holds: protection.holds,
      notify: protection.review_notify,
      summary: { from: agent.address, to: opts.to, subject: opts.subject, conversationId },
    });
  });
  return { messageId, ...held };
}

export async function openDraft(gw: TestGateway, messageId: string): Promise<OutboundDraft> {
  const row = await gw.gateway.database.db.selectFrom('messages').select('draft').where('id', '=', messageId).executeTakeFirstOrThrow();
  return JSON.parse(boxOf(gw).open(row.draft!).toString('utf8')) as OutboundDraft;
}

export interface ReviewMail {
  to: string[];
  from: string;
  subject: string;
  text: string;
  html: string;
  approveToken: string;
  rejectToken: string;
}

/** The reviewer notification of the review held for `messageId` (it names the review id). */
export async function reviewMailFor(gw: TestGateway, messageId: string): Promise<ReviewMail> {
  const db = gw.gateway.database.db;
  const review = await db.selectFrom('reviews').select(['id', 'user_id']).where('message_id', '=', messageId).executeTakeFirstOrThrow();
  const rows = await db.selectFrom('system_mail').selectAll().where('kind', '=', 'review_requested').where('user_id', '=', review.user_id).execute();
  const box = boxOf(gw);
  const found = rows.map((r) => ({ r, text: box.open(r.text_body).toString('utf8') })).find((m) => m.text.includes(`Review: ${review.id}`));
  if (!found) throw new Error(`no review notification for ${messageId}`);
  const approve = /Approve: \S+\/review\/([A-Za-z0-9_-]{43})/.exec(found.text);
  const reject = /Reject: +\S+\/review\/([A-Za-z0-9_-]{43})/.exec(found.text);
  return {
    to: found.r.to_addresses,
    from: found.r.from_address,
    subject: found.r.subject,
    text: found.text,
    html: box.open(found.r.html_body!).toString('utf8'),
    approveToken: approve![1]!,
    rejectToken: reject![1]!,
  };
}
