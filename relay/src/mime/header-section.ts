/**
 * Byte-level view of an RFC 5322 header section. The relay edits headers without decoding the
 * message: the body (and any header we keep) stays byte-identical, which DKIM and our own content
 * hash depend on.
 */

export interface HeaderField {
  /** Byte offset of the first line of the field. */
  start: number;
  /** Byte offset just past the field's last line ending (or the end of input). */
  end: number;
  /** The field name as written (RFC 5322 §3.6.8 ftext), or null for a line that is not a field. */
  name: string | null;
}

export interface HeaderSection {
  fields: HeaderField[];
  /** Offset of the empty line that ends the header section; `raw.length` when there is none. */
  separatorStart: number;
  /** Line ending the message uses, judged by its first line: CRLF per RFC 5322, bare LF seen in the wild. */
  eol: '\r\n' | '\n';
}

const LF = 0x0a;
const CR = 0x0d;
const SP = 0x20;
const HTAB = 0x09;
const COLON = 0x3a;

export function scanHeaderSection(raw: Buffer): HeaderSection {
  const fields: HeaderField[] = [];
  const firstLf = raw.indexOf(LF);
  const eol = firstLf > 0 && raw[firstLf - 1] === CR ? '\r\n' : firstLf === -1 ? '\r\n' : '\n';

  let pos = 0;
  let separatorStart = raw.length;
  while (pos < raw.length) {
    const lf = raw.indexOf(LF, pos);
    const lineEnd = lf === -1 ? raw.length : lf + 1;
    let contentEnd = lf === -1 ? raw.length : lf;
    if (contentEnd > pos && raw[contentEnd - 1] === CR) contentEnd--;

    if (contentEnd === pos) {
      separatorStart = pos;
      break;
    }
    const first = raw[pos];
    const last = fields[fields.length - 1];
    if ((first === SP || first === HTAB) && last) {
      // RFC 5322 §2.2.3: a line starting with WSP continues the field above it.
      last.end = lineEnd;
    } else {
      fields.push({ start: pos, end: lineEnd, name: fieldName(raw, pos, contentEnd) });
    }
    pos = lineEnd;
  }
  return { fields, separatorStart, eol };
}

function fieldName(raw: Buffer, start: number, end: number): string | null {
  const colon = raw.indexOf(COLON, start);
  if (colon === -1 || colon >= end) return null;
  // RFC 5322 §4.5.8 (obsolete syntax) allows WSP between the name and the colon.
  // Trimmed by index: `/[ \t]+$/` retries from every blank of a long run of them, O(n²).
  let nameEnd = colon;
  while (nameEnd > start && (raw[nameEnd - 1] === SP || raw[nameEnd - 1] === HTAB)) nameEnd--;
  const name = raw.toString('latin1', start, nameEnd);
  return /^[\x21-\x39\x3b-\x7e]+$/.test(name) ? name : null;
}

/** The unfolded value of a field (after the colon), decoded as latin1 so no byte is lost. */
export function fieldValue(raw: Buffer, field: HeaderField): string {
  const text = raw.toString('latin1', field.start, field.end);
  const colon = text.indexOf(':');
  return text
    .slice(colon + 1)
    .replace(/\r?\n(?=[ \t])/g, '')
    .replace(/\r?\n$/, '')
    .trim();
}
