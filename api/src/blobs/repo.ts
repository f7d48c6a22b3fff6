/**
 * SQL of the blob store (content.ts says what a blob is). Writes run in the caller's transaction,
 * beside the messages row that references the blob; deleting is the database's (the
 * messages_release_blobs trigger, migrations/0004_message_blobs.sql).
 */
import type { RawBuilder } from 'kysely';
import type { Database } from '../db/database.js';
import { blobRow, type SealedContent } from './content.js';

/**
 * The blob and its attachments, for a messages row the caller inserts in the same transaction.
 * `search`: the message's search vector (messages/search-document.ts searchVector), written with it.
 */
export async function insertBlob(db: Database, content: SealedContent, at: Date, search?: RawBuilder<string>): Promise<void> {
  await db.insertInto('message_blobs').values({ ...blobRow(content, at), ...(search ? { search } : {}) }).execute();
  await insertAttachments(db, content);
}

/** The attachments of a blob just written. */
export async function insertAttachments(db: Database, content: SealedContent): Promise<void> {
  if (content.attachments.length > 0) await db.insertInto('attachments').values(content.attachments).execute();
}

/**
 * New sealed bodies for an outbound message whose draft a reviewer edited. Only outbound blobs
 * change after acceptance: an outbound message is one row, so its blob is its alone.
 */
export async function replaceOutboundBodies(db: Database, messageId: string, bodies: { text: Buffer | null; html: Buffer | null; search: RawBuilder<string> }): Promise<void> {
  await db
    .updateTable('message_blobs')
    .set({ text_body: bodies.text, html_body: bodies.html, search: bodies.search })
    .where('id', '=', (eb) => eb.selectFrom('messages').select('blob_id').where('id', '=', messageId).where('direction', '=', 'outbound'))
    .execute();
}
