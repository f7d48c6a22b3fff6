/**
 * A search hit's snippet (docs/SEARCH.md, "Snippets"). PostgreSQL's ts_headline picks the passage of
 * the message's text where the query's words are and marks them; the text is the sender's, so here
 * the passage is HTML-escaped and the marks become `<mark>` and `</mark>`, the only markup a
 * snippet carries. ts_headline marks with strings it is given: two control characters, which are
 * taken out of the text first, so nothing the sender wrote can open or close a mark.
 */
import { pgText } from '../db/database.js';

const START = '\u0001';
const STOP = '\u0002';

/**
 * ts_headline's options: the passage of at most 30 words (at least 15 where the body has them) that
 * best covers the query's words; a body that does not hold them (they matched the subject or an
 * address, which a hit shows anyway) shows its first words. The marks are the control characters
 * above. (The fragment mode, MaxFragments, cut short bodies down to the matched word itself.)
 */
export const HEADLINE_OPTIONS = `StartSel=${START}, StopSel=${STOP}, MaxWords=30, MinWords=15`;

/** The longest snippet, in characters of text (marks and escapes not counted). */
export const SNIPPET_CHARS = 320;

/** C0 controls (the marks among them) but tab and line ends, and DEL. */
const CONTROLS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]/g;

/** What ts_headline reads of a hit: the body as search reads it, then the attachments' names (a hit's summary does not list them). */
export function headlineDocument(parts: { body: string; filenames: ReadonlyArray<string | null> }): string {
  const names = parts.filenames.filter((f) => f).join(', ');
  return pgText((names ? `${parts.body}\n${names}` : parts.body).replace(CONTROLS, ' '));
}

const ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

/** ts_headline's output as the API serves it: one line, escaped, the marks as <mark>…</mark>, at most SNIPPET_CHARS of text. */
export function snippetHtml(headline: string): string {
  let out = '';
  let length = 0;
  let open = false;
  for (const ch of headline.replace(/\s+/g, ' ').trim()) {
    if (ch === START || ch === STOP) {
      // ts_headline pairs its marks; a stray one is dropped rather than left unbalanced.
      if ((ch === START) !== open) {
        out += open ? '</mark>' : '<mark>';
        open = !open;
      }
      continue;
    }
    if (length === SNIPPET_CHARS) {
      out += '…';
      break;
    }
    out += ESCAPES[ch] ?? ch;
    length += 1;
  }
  return open ? `${out}</mark>` : out;
}
