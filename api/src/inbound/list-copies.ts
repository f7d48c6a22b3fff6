/**
 * Every member's copy of one list post in ONE statement (docs/PERFORMANCE.md "Lists: fan-out"): the
 * per-copy columns travel as arrays and unnest() turns them into rows, so the statement and its
 * parameter count stay the same for 3 members or 10,000. As insertInboundCopy (repo.ts), but set
 * based: the message rows (duplicates by dedupe key skipped by ON CONFLICT), each copy's
 * conversation (conversations/repo.ts), its events (events/outbox.ts), and the list's blob when no
 * copy stored it yet, all seeing one snapshot and committing together.
 */
import { sql, type Insertable } from 'kysely';
import { upsertConversationsFrom } from '../conversations/repo.js';
import type { Database } from '../db/database.js';
import type { MessageBlobsTable } from '../db/schema.js';
import { appendEventsFrom, type EventDraft } from '../events/outbox.js';
import { searchVector, type SearchDocument } from '../messages/search-document.js';
import type { NewMessageRow } from './repo.js';

/** What differs between members' copies; everything else is `shared`. */
export interface ListCopy {
  id: string;
  agent_id: string;
  conversation_id: string;
  status: 'received' | 'blocked';
  status_reason: string | null;
  held: boolean;
  dedupe_key: string;
  envelope: string;
  headers: string;
  /** false for a hidden (blocked) copy: its conversation is neither titled nor counted. */
  counted: boolean;
  /** Drafts about this copy (`about` its id). */
  events: EventDraft[];
}

/** Returns the ids of the copies stored (duplicates left out). */
export async function insertListCopies(
  db: Database,
  shared: Omit<NewMessageRow, 'id' | 'agent_id' | 'conversation_id' | 'status' | 'status_reason' | 'held' | 'dedupe_key' | 'envelope' | 'headers'>,
  copies: ListCopy[],
  blob: Insertable<MessageBlobsTable> | null,
  /** What search indexes of the post: its vector is the blob's, written with it, once for every copy. */
  search: SearchDocument,
): Promise<string[]> {
  if (copies.length === 0) return [];
  const s = shared;
  const at = s.received_at;
  const col = <K extends keyof ListCopy>(k: K) => copies.map((c) => c[k]);
  const events = copies.flatMap((c) => c.events);
  const blobCte = blob
    ? sql`, b AS (
        INSERT INTO message_blobs (id, raw, text_body, html_body, created_at, search)
        SELECT ${blob.id}::text, ${blob.raw ?? null}::bytea, ${blob.text_body ?? null}::bytea, ${blob.html_body ?? null}::bytea, ${blob.created_at}::timestamptz,
               ${searchVector(search)}
        WHERE EXISTS (SELECT 1 FROM m))`
    : sql``;
  const rows = await sql<{ id: string }>`
    WITH r AS (
      SELECT * FROM unnest(${col('id')}::text[], ${col('agent_id')}::text[], ${col('conversation_id')}::text[], ${col('status')}::text[],
                           ${col('status_reason')}::text[], ${col('held')}::boolean[], ${col('dedupe_key')}::text[], ${col('envelope')}::text[],
                           ${col('headers')}::text[], ${col('counted')}::boolean[])
        AS r(id, agent_id, conversation_id, status, status_reason, held, dedupe_key, envelope, headers, counted)
    ), m AS (
      INSERT INTO messages (id, agent_id, conversation_id, direction, status, status_reason, held, queue_id, message_id_header, in_reply_to,
                            references_header, dedupe_key, content_hash, from_address, from_name, to_addresses, cc_addresses, subject,
                            envelope, authentication, verified, headers, blob_id, size_bytes, attachment_count, priority, read_at,
                            expires_at, received_at, created_at)
      SELECT r.id, r.agent_id, r.conversation_id, 'inbound', r.status, r.status_reason, r.held, ${s.queue_id ?? null}::text,
             ${s.message_id_header ?? null}::text, ${s.in_reply_to ?? null}::text, ${s.references_header as string}::jsonb, r.dedupe_key,
             ${s.content_hash}::text, ${s.from_address ?? null}::text, ${s.from_name ?? null}::text, ${s.to_addresses as string}::jsonb,
             ${s.cc_addresses as string}::jsonb, ${s.subject ?? null}::text, r.envelope::jsonb, ${(s.authentication as string | null) ?? null}::jsonb,
             ${s.verified}::boolean, r.headers::jsonb, ${s.blob_id}::text, ${s.size_bytes}::integer, ${s.attachment_count}::integer,
             ${s.priority ?? 'normal'}::text, NULL, ${s.expires_at ?? null}::timestamptz, ${at}::timestamptz, ${s.created_at ?? at}::timestamptz
      FROM r
      ON CONFLICT (agent_id, dedupe_key) DO NOTHING
      RETURNING id, agent_id, conversation_id
    ), c AS (
      ${upsertConversationsFrom(db, sql`SELECT m.conversation_id, m.agent_id, ${s.subject ?? null}::text, r.counted, ${at}::timestamptz FROM m JOIN r ON r.id = m.id`)}
    ), e AS (
      ${appendEventsFrom(db, events, sql`SELECT m.id, a.user_id, m.agent_id FROM m JOIN agents a ON a.id = m.agent_id`, at)}
    )${blobCte}
    SELECT m.id FROM m`.execute(db);
  return rows.rows.map((r) => r.id);
}
