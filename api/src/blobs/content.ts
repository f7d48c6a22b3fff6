/**
 * Where a message's bytes live (DESIGN §9 "Blobs"): one message_blobs row per accepted message holds
 * its sealed raw form and decoded bodies, and the attachments table its attachments, once however
 * many recipients it has; every recipient's messages row references them by blob_id. A blob is never
 * shared between two accepted messages (not content-addressed), so once its last copy is deleted it
 * can never gain a reference again, and the database deletes it then (migrations/0004).
 *
 * Sealing happens here, once per accepted message, whoever stores it (inbound, local delivery and
 * outbound alike): AES-256-GCM with a fresh nonce per value (crypto/secret-box.ts).
 */
import { parseMessage, type ParsedAttachment } from '@e2a/relay';
import type { Insertable } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.js';
import { pgText } from '../db/database.js';
import type { AttachmentsTable, MessageBlobsTable } from '../db/schema.js';
import { newId, sha256Hex } from '../ids.js';

/** An attachment as the relay's parser (and the outbound draft) gives it: decoded bytes. */
export type PlainAttachment = ParsedAttachment;

/** A message's bytes in the clear, as accepted. */
export interface PlainContent {
  /** RFC 5322 form; null for outbound mail until the worker composes it. */
  raw: Buffer | null;
  text: string | null;
  html: string | null;
  attachments: readonly PlainAttachment[];
}

/**
 * `attachments.content` of an attachment whose bytes are read from the blob's raw message instead:
 * a sealed value is never empty (version, nonce and tag), so this one says "not stored twice".
 */
export const IN_RAW = new Uint8Array(0);

/** The same bytes sealed, with the id of the blob that will hold them. */
export interface SealedContent {
  blobId: string;
  raw: Buffer | null;
  text: Buffer | null;
  html: Buffer | null;
  attachments: Array<Insertable<AttachmentsTable>>;
}

/**
 * Attachment bytes are stored once: inside the raw message when there is one (every inbound message,
 * outbound mail once composed), and only sealed apart while there is none (an outbound draft). The
 * row keeps the metadata and the sha256 that `attachmentFromRaw` finds the part again by. A second
 * sealed copy doubled a large attachment on disk and in memory while it was stored
 * (docs/PERFORMANCE.md, "Memory for a large message").
 */
export function sealContent(box: SecretBox, plain: PlainContent): SealedContent {
  const blobId = newId('blob');
  return {
    blobId,
    raw: plain.raw === null ? null : box.seal(plain.raw),
    text: plain.text === null ? null : box.seal(plain.text),
    html: plain.html === null ? null : box.seal(plain.html),
    attachments: plain.attachments.map((a, idx) => ({
      blob_id: blobId,
      idx,
      filename: pgText(a.filename),
      content_type: pgText(a.contentType),
      size_bytes: a.size,
      content_id: pgText(a.contentId),
      disposition: a.disposition,
      sha256: sha256Hex(a.content),
      content: plain.raw === null ? box.seal(a.content) : IN_RAW,
    })),
  };
}

/**
 * Attachment `idx` of a raw message, parsed again as it was on acceptance (the same bytes, the same
 * parser), checked against the sha256 recorded then; null when no part has those bytes.
 */
export async function attachmentFromRaw(raw: Buffer, idx: number, sha256: string): Promise<Buffer | null> {
  const { attachments } = await parseMessage(raw);
  const same = (a: PlainAttachment | undefined): a is PlainAttachment => a !== undefined && sha256Hex(a.content) === sha256;
  const at = attachments[idx];
  // A parser that orders parts differently still finds the bytes by their hash.
  return same(at) ? at.content : (attachments.find(same)?.content ?? null);
}

/** The message_blobs row of `content`. */
export function blobRow(content: SealedContent, at: Date): Insertable<MessageBlobsTable> {
  return { id: content.blobId, raw: content.raw, text_body: content.text, html_body: content.html, created_at: at };
}
