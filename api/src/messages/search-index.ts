/**
 * `e2a-server search-index`: the search vectors of messages stored before search existed. Migration
 * 0017 cannot compute them (their bodies are sealed and the database has no key), so this reads each
 * such message's sealed bodies, opens them here with storage.encryption_key, and writes the vector as
 * a new message's would be written (search-document.ts). A batch at a time, in id order, each batch
 * one UPDATE; a message indexed meanwhile (or deleted) is left as it is, so the command can run while
 * the gateway serves and can be run again after an interruption.
 */
import { sql } from 'kysely';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import type { StoredAddress } from '../db/schema.js';
import { searchDocument, searchVector } from './search-document.js';

export interface IndexProgress {
  indexed: number;
  /** The last message id of the batch just written. */
  lastId: string;
}

/** Indexes every message without a vector; returns how many it indexed. */
export async function indexUnindexedMessages(db: Database, box: SecretBox, opts: { batch?: number; onBatch?: (p: IndexProgress) => void } = {}): Promise<number> {
  const batch = opts.batch ?? 500;
  let lastId = '';
  let indexed = 0;
  for (;;) {
    const rows = await db
      .selectFrom('messages as m')
      .innerJoin('message_blobs as b', 'b.id', 'm.blob_id')
      .select(['m.id', 'm.blob_id', 'm.subject', 'm.from_address', 'm.from_name', 'm.to_addresses', 'm.cc_addresses', 'm.bcc_addresses', 'b.text_body', 'b.html_body'])
      .select(sql<Array<string | null>>`(SELECT coalesce(jsonb_agg(x.filename ORDER BY x.idx), '[]'::jsonb) FROM attachments x WHERE x.blob_id = m.blob_id)`.as('filenames'))
      .where('b.search', 'is', null)
      .where('m.id', '>', lastId)
      .orderBy('m.id')
      .limit(batch)
      .execute();
    if (rows.length === 0) return indexed;
    const docs = rows.map((row) =>
      searchDocument({
        subject: row.subject,
        from: row.from_address ? { address: row.from_address, name: row.from_name } : null,
        recipients: [...(row.to_addresses as StoredAddress[]), ...(row.cc_addresses as StoredAddress[]), ...(row.bcc_addresses as StoredAddress[])],
        attachments: row.filenames.map((filename) => ({ filename })),
        text: box.openText(row.text_body),
        html: box.openText(row.html_body),
      }),
    );
    // The vector is the blob's (migrations/0017): copies of one message share it, so each blob once.
    const first = new Map<string, number>();
    rows.forEach((r, i) => first.has(r.blob_id) || first.set(r.blob_id, i));
    const picked = [...first.values()];
    const result = await sql`
      UPDATE message_blobs b SET search = ${searchVector({ subject: sql.ref('d.subject'), names: sql.ref('d.names'), body: sql.ref('d.body') })}
      FROM unnest(${picked.map((i) => rows[i]!.blob_id)}::text[], ${picked.map((i) => docs[i]!.subject)}::text[], ${picked.map((i) => docs[i]!.names)}::text[],
                  ${picked.map((i) => docs[i]!.body)}::text[]) AS d(id, subject, names, body)
      WHERE b.id = d.id AND b.search IS NULL`.execute(db);
    indexed += Number(result.numAffectedRows ?? 0);
    lastId = rows[rows.length - 1]!.id;
    opts.onBatch?.({ indexed, lastId });
  }
}
