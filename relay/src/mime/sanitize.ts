/**
 * Header hygiene for inbound mail, done on bytes so the body stays byte-identical.
 *
 * - Any `X-E2A-*` field a sender supplied is removed: those names carry our signed claims, and a
 *   reader must never mistake a sender's forgery for ours.
 * - Any `Authentication-Results` that claims our authserv-id is removed (RFC 8601 §5: "MUST delete
 *   or otherwise obscure any instance … that claims to have been added within its trust boundary").
 * - Our own trace fields go on top (RFC 5321 §4.4: trace information is prepended).
 */
import type { HeaderField } from './header-section.js';
import { fieldValue, scanHeaderSection } from './header-section.js';

export interface SanitizeOptions {
  /** Our authserv-id (host name); A-R fields carrying it are forgeries unless we just wrote them. */
  authservId: string;
  /** Complete header fields to put on top, in order, without trailing line breaks. */
  prepend: string[];
}

export function sanitize(raw: Buffer, options: SanitizeOptions): Buffer {
  const section = scanHeaderSection(raw);
  const { eol } = section;
  const ours = options.authservId.toLowerCase().replace(/\.$/, '');

  const parts: Buffer[] = [];
  for (const header of options.prepend) {
    // Match the message's own line endings so we never make it mixed.
    parts.push(Buffer.from(header.replace(/\r?\n/g, eol) + eol, 'latin1'));
  }
  for (const field of section.fields) {
    if (!isForged(raw, field, ours)) parts.push(raw.subarray(field.start, field.end));
  }
  parts.push(raw.subarray(section.separatorStart));
  return Buffer.concat(parts);
}

function isForged(raw: Buffer, field: HeaderField, ourAuthservId: string): boolean {
  if (field.name === null) return false;
  const name = field.name.toLowerCase();
  if (name.startsWith('x-e2a-')) return true;
  // A bare CR is a line break to some readers: "Subject: hi<CR>X-E2A-Auth-Verified: true" must not
  // smuggle a claim past a scan that only splits on LF.
  if (/\r(?!\n)[ \t]*x-e2a-/i.test(raw.toString('latin1', field.start, field.end))) return true;
  if (name === 'authentication-results') return authservIdOf(fieldValue(raw, field)) === ourAuthservId;
  return false;
}

/** RFC 8601 §2.2: `authres-header-field = … authserv-id [ CFWS authres-version ] …`. */
export function authservIdOf(value: string): string | null {
  const v = value.slice(skipCfws(value, 0));
  const quoted = /^"((?:[^"\\]|\\.)*)"/.exec(v);
  const id = quoted ? (quoted[1] ?? '').replace(/\\(.)/g, '$1') : /^[^\s;()"]+/.exec(v)?.[0];
  // Host names compare case-insensitively and "host." is "host" (RFC 1034 §3.1).
  return id ? id.toLowerCase().replace(/\.$/, '') : null;
}

/**
 * Skips whitespace and comments (RFC 5322 §3.2.2: comments nest and may hold quoted-pairs). A
 * forger must not hide our authserv-id behind "(a (b) c)" from a naive scan.
 */
function skipCfws(text: string, from: number): number {
  let i = from;
  let depth = 0;
  while (i < text.length) {
    const ch = text[i];
    if (depth > 0 && ch === '\\') {
      i += 2;
      continue;
    }
    if (ch === '(') depth++;
    else if (ch === ')' && depth > 0) depth--;
    else if (depth === 0 && ch !== ' ' && ch !== '\t') break;
    i++;
  }
  return i;
}
