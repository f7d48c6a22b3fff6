/**
 * What search reads of a message (docs/SEARCH.md) and the SQL that turns it into the `search`
 * vector of its blob (migrations/0017: one per accepted message, shared by its copies). Bodies are
 * sealed at rest, so no statement can compute the vector from the stored columns: every writer
 * (inbound copies, list copies, outbound sends, a reviewer's edits, `e2a-server search-index`)
 * builds the document from the plaintext it holds, and the statement that stores the blob computes
 * the vector from it. The plaintext travels to the database as a
 * statement parameter and is not stored; the vector's words are (docs/SECURITY.md, "Search index").
 */
import { htmlToText } from '@e2a/relay';
import { sql, type RawBuilder } from 'kysely';
import { pgText } from '../db/database.js';
import type { OutboundDraft } from '../outbound/draft.js';

/**
 * How much of a body is indexed: its first this many characters. A tsvector holds at most 1 MB and
 * positions up to 16,383, and computing it costs time linear in the text, paid on every stored
 * message; the words of longer bodies past this point are not found.
 */
export const SEARCH_BODY_CHARS = 100_000;

/**
 * The same for the subject and for the names (addresses and file names, a few forms of each): a
 * header section may hold 256 KiB, and with the body the vector must stay under PostgreSQL's 1 MB
 * for a tsvector, or the message could never be stored.
 */
const SUBJECT_CHARS = 2_000;
const NAMES_CHARS = 20_000;

const cut = (text: string, max: number) => (text.length > max ? text.slice(0, max) : text);

/** The three weighted parts of a message's vector. */
export interface SearchDocument {
  /** Weight A. */
  subject: string;
  /** Weight B: addresses (whole, local part and domain, in words), display names, attachment file names. */
  names: string;
  /** Weight D: the text body (or the text of an HTML-only body), cut at SEARCH_BODY_CHARS. */
  body: string;
}

export interface SearchAddress {
  address: string;
  name?: string | null;
}

/** A message as its writer holds it, in the clear. */
export interface SearchSource {
  subject: string | null;
  from: SearchAddress | null;
  /** Every recipient the writer knows of (to, cc; an outbound message's bcc too: its sender chose them). */
  recipients: readonly SearchAddress[];
  attachments: ReadonlyArray<{ filename: string | null }>;
  text: string | null;
  html: string | null;
}

/** Runs of punctuation inside addresses and file names, which the text-search parser keeps as one token. */
const JOINERS = /[._+\-@]+/g;

/**
 * An address as words: the parser reads `bob.smith@example.com` as one email token, so the local
 * part, its parts and the domain's labels (without the top-level one) go in beside it, and a search
 * for `bob.smith@example.com`, `smith` or `example` finds it.
 */
function addressWords(a: SearchAddress): string[] {
  const address = a.address.toLowerCase();
  const at = address.lastIndexOf('@');
  const local = at < 0 ? address : address.slice(0, at);
  const domain = at < 0 ? '' : address.slice(at + 1);
  return [address, local, local.replace(JOINERS, ' '), domain, domain.split('.').slice(0, -1).join(' '), a.name ?? ''];
}

/** `invoice-2024.pdf` is one file token to the parser: its parts go in beside it. */
function fileWords(filename: string | null): string[] {
  return filename ? [filename, filename.replace(JOINERS, ' ')] : [];
}

/** The text a body is searched by: the text part, else what a reader sees of the HTML. */
export function searchableBody(text: string | null, html: string | null): string {
  return cut(text ?? (html === null ? '' : htmlToText(html)), SEARCH_BODY_CHARS);
}

export function searchDocument(m: SearchSource): SearchDocument {
  const people = [...(m.from ? [m.from] : []), ...m.recipients];
  const names = [...people.flatMap(addressWords), ...m.attachments.flatMap((a) => fileWords(a.filename))].filter((w) => w !== '').join('\n');
  return {
    subject: pgText(cut(m.subject ?? '', SUBJECT_CHARS)),
    names: pgText(cut(names, NAMES_CHARS)),
    body: pgText(searchableBody(m.text, m.html)),
  };
}

/** What search indexes of an outbound message: its draft as accepted, or as a reviewer edited it. */
export function draftSearchDocument(draft: OutboundDraft): SearchDocument {
  return searchDocument({
    subject: draft.subject,
    from: draft.from,
    recipients: [...draft.to, ...draft.cc, ...draft.bcc],
    attachments: draft.attachments,
    text: draft.text,
    html: draft.html,
  });
}

/**
 * The vector of a document, as an SQL expression for an INSERT or UPDATE. Its parts are values (bound
 * as parameters) or expressions (column references, in the bench's generated rows). 'simple' as for
 * cards: mail comes in every language, and the configuration exists on PostgreSQL and PGlite alike.
 */
export function searchVector(doc: { subject: unknown; names: unknown; body: unknown }): RawBuilder<string> {
  return sql<string>`(setweight(to_tsvector('simple', ${doc.subject}::text), 'A') || setweight(to_tsvector('simple', ${doc.names}::text), 'B') || to_tsvector('simple', ${doc.body}::text))`;
}
