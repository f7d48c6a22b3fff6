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
import type { ParsedAttachment } from '@e2a/relay';
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

/** The same bytes sealed, with the id of the blob that will hold them. */
export interface SealedContent {
  blobId: string;
  raw: Buffer | null;
  text: Buffer | null;
  html: Buffer | null;
  attachments: Array<Insertable<AttachmentsTable>>;
}

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
      content: box.seal(a.content),
    })),
  };
}

/** The message_blobs row of `content`. */
export function blobRow(content: SealedContent, at: Date): Insertable<MessageBlobsTable> {
  return { id: content.blobId, raw: content.raw, text_body: content.text, html_body: content.html, created_at: at };
}
