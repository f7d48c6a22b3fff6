/**
 * The text a reviewer reads: for outbound mail the draft as it will be sent, for inbound mail the
 * body as received. HTML-only mail is shown as its rendered text (never as markup: the reviewer's
 * page and notification must not render the sender's HTML).
 */
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import type { OutboundDraft } from '../outbound/draft.js';
import { extractHtmlText } from '@e2a/relay';

export interface PreviewSource {
  direction: 'inbound' | 'outbound';
  text_body: Uint8Array | null;
  html_body: Uint8Array | null;
  draft: Uint8Array | null;
}

export function previewText(row: PreviewSource, box: SecretBox): string | null {
  if (row.direction === 'outbound' && row.draft) {
    const draft = JSON.parse(box.open(row.draft).toString('utf8')) as OutboundDraft;
    return draft.text ?? (draft.html ? extractHtmlText(draft.html).visible : null);
  }
  const text = box.openText(row.text_body);
  if (text !== null) return text;
  const html = box.openText(row.html_body);
  return html === null ? null : extractHtmlText(html).visible;
}

export function loadPreviewSource(db: Database, messageId: string) {
  return db
    .selectFrom('messages as m')
    .innerJoin('message_blobs as b', 'b.id', 'm.blob_id')
    .select(['m.direction', 'b.text_body', 'b.html_body', 'm.draft', 'm.verified', 'm.priority', 'm.send_at'])
    .where('m.id', '=', messageId)
    .executeTakeFirstOrThrow();
}
