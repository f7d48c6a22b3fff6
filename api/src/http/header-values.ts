/**
 * Response header values made from what a sender stored (an attachment's content type and file
 * name). Node refuses to write a header value with a control character or a character past U+00FF,
 * so an unchecked one turns a download into a 500; and a value passed through as it came would let
 * a sender shape the response. Everything the HTTP edge writes from stored values goes through here.
 */
import { encodeExtended } from 'content-disposition';
import { format as formatContentType, parse as parseContentType } from 'content-type';

export const FALLBACK_MEDIA_TYPE = 'application/octet-stream';

/**
 * The stored media type as a valid Content-Type (RFC 9110 §8.3: `type/subtype` of token
 * characters), keeping only its charset; anything else is served as application/octet-stream.
 */
export function safeMediaType(stored: string | null | undefined): string {
  if (!stored) return FALLBACK_MEDIA_TYPE;
  try {
    const { type, parameters } = parseContentType(stored);
    // format() checks the type and every parameter and throws on what a header cannot carry.
    return formatContentType({ type, parameters: parameters.charset ? { charset: parameters.charset } : {} });
  } catch {
    return FALLBACK_MEDIA_TYPE;
  }
}

/**
 * Content-Disposition for a stored file name (RFC 6266 §4.3): a quoted ASCII fallback for old
 * clients and the RFC 8187 `filename*` form that carries the name exactly. Control characters are
 * dropped, lone surrogates replaced, and only the last path segment kept, so the name a browser
 * saves is the file's own.
 */
export function dispositionHeader(kind: 'attachment' | 'inline', filename: string | null | undefined): string {
  const name = Buffer.from(filename ?? '', 'utf8')
    .toString('utf8')
    .replace(/[\x00-\x1f\x7f-\x9f]/g, '')
    .split(/[/\\]/)
    .pop()!
    .trim();
  if (!name) return kind;
  const fallback = name.replace(/[^\x20-\x7e]|["\\%]/g, '_');
  return `${kind}; filename="${fallback}"; filename*=${encodeExtended(name)}`;
}

/** Node's rule for a header value (`field-value` of RFC 9110 §5.5 plus obs-text): what it will write. */
const HEADER_VALUE = /^[\t\x20-\x7e\x80-\xff]*$/;

/** A value Node will write: each character it would refuse becomes `?`. */
export function safeHeaderValue(value: string): string {
  return HEADER_VALUE.test(value) ? value : value.replace(/[^\t\x20-\x7e\x80-\xff]/g, '?');
}
