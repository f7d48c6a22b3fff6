/**
 * What an error thrown while serving a request answers: our own AppError as it is, the refusals of
 * express and body-parser as the AppError that tells the client what to change, anything else as
 * internal_error (or unavailable while the database is down, so the client retries).
 */
import zlib from 'node:zlib';
import type { Request } from 'express';
import { isDatabaseUnavailable } from '../db/unavailable.js';
import { AppError } from '../errors.js';

/** What body-parser inflates (zstd where node:zlib has it, as body-parser checks). */
const BODY_ENCODINGS = ['gzip', 'deflate', 'br', ...('createZstdDecompress' in zlib ? ['zstd'] : [])];

export function toAppError(err: unknown, req: Request): AppError {
  if (err instanceof AppError) return err;
  const e = err as { type?: string; status?: number; expose?: boolean; message?: string; encoding?: string };
  // body-parser's errors carry a type and a status.
  if (e?.type === 'entity.too.large') return new AppError('payload_too_large', 'request body is larger than http.max_body_bytes');
  if (e?.type === 'entity.parse.failed') return new AppError('bad_request', 'request body is not valid JSON');
  if (e?.type === 'encoding.unsupported') {
    return new AppError('unsupported_media_type', `Content-Encoding ${JSON.stringify(e.encoding ?? '')} is not supported: send the body uncompressed, or as one of ${BODY_ENCODINGS.join(', ')}`);
  }
  if (e?.type === 'charset.unsupported') return new AppError('unsupported_media_type', e.message ?? 'unsupported charset');
  // The router's decoding of a path parameter (it sets the status; a URIError from our own code has none).
  if (err instanceof URIError && e.status === 400) {
    return new AppError('bad_request', 'the path has malformed percent-encoding: write each reserved or non-ASCII byte as % and two hex digits of its UTF-8');
  }
  // Any other body-parser (raw-body) refusal: a corrupt compressed body, an aborted upload, a Content-Length that does not match.
  if (e?.expose === true && typeof e.status === 'number' && e.status >= 400 && e.status < 500) {
    const encoding = req.get('content-encoding');
    if (encoding && encoding.toLowerCase() !== 'identity') {
      return new AppError('bad_request', `request body is not valid ${encoding} data (${e.message}): compress the whole JSON body, or send it uncompressed without Content-Encoding`);
    }
    return new AppError('bad_request', `request body could not be read: ${e.message}`);
  }
  // Nothing is wrong with the request: the client should try again, as an SMTP sender does after 451.
  if (isDatabaseUnavailable(err)) return new AppError('unavailable', 'the database is unavailable; retry shortly', undefined, { 'Retry-After': '1' });
  return new AppError('internal_error', 'internal error; the request id identifies it in the server log');
}
