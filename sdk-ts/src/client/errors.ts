/**
 * Typed errors from the API's error codes (the ERROR_STATUS table in the wire types). Every error
 * carries the code, the HTTP status and the request id to quote in a bug report.
 */
import type { ErrorCode } from '../wire/errors.js';

export class E2AError extends Error {
  override name = 'E2AError';
  constructor(
    message: string,
    readonly code: ErrorCode | 'network_error' | 'timeout' | 'not_e2a',
    readonly status: number | null,
    readonly requestId: string | null,
    readonly details?: Array<{ path: string; message: string }>,
  ) {
    super(message);
  }
}

export class AuthenticationError extends E2AError {
  override name = 'AuthenticationError';
}
export class PermissionError extends E2AError {
  override name = 'PermissionError';
}
export class NotFoundError extends E2AError {
  override name = 'NotFoundError';
}
export class ConflictError extends E2AError {
  override name = 'ConflictError';
}
export class ValidationError extends E2AError {
  override name = 'ValidationError';
}
export class QuotaError extends E2AError {
  override name = 'QuotaError';
}
export class RateLimitError extends E2AError {
  override name = 'RateLimitError';
  /** Seconds the server asked us to wait, from Retry-After. */
  retryAfter: number | null = null;
}
export class ServerError extends E2AError {
  override name = 'ServerError';
}
export class ConnectionError extends E2AError {
  override name = 'ConnectionError';
}
/** The URL answered, but not as an e2a server does (an HTML page, JSON without the error envelope): a wrong E2A_API_URL. */
export class NotE2AServerError extends E2AError {
  override name = 'NotE2AServerError';
}

/** What a response that is not e2a's is called: `… does not look like an e2a server: …`. */
export function notE2AServer(origin: string, status: number, what: string, requestId: string | null = null): NotE2AServerError {
  return new NotE2AServerError(`e2a: ${origin} does not look like an e2a server: HTTP ${status} answered ${what}; check the URL (E2A_API_URL)`, 'not_e2a', status, requestId);
}

/** The error envelope every e2a error response carries: { error: { code, message } }. */
export function isErrorEnvelope(body: unknown): boolean {
  const error = (body as { error?: { code?: unknown; message?: unknown } } | null)?.error;
  return typeof error?.code === 'string' && typeof error.message === 'string';
}

/** A short description of a body that is not e2a's, for the message. */
export function describeBody(contentType: string | null, text: string): string {
  const type = (contentType ?? 'no content type').split(';')[0]!.trim();
  const start = text.replace(/\s+/g, ' ').trim().slice(0, 60);
  return start ? `${type} (${JSON.stringify(start)}${text.length > 60 ? '…' : ''})` : `${type}, empty`;
}

const BY_CODE: Partial<Record<ErrorCode, typeof E2AError>> = {
  unauthorized: AuthenticationError,
  forbidden: PermissionError,
  blocked_by_policy: PermissionError,
  not_found: NotFoundError,
  conflict: ConflictError,
  idempotency_in_flight: ConflictError,
  validation_error: ValidationError,
  idempotency_mismatch: ValidationError,
  bad_request: ValidationError,
  unsupported_media_type: ValidationError,
  payload_too_large: ValidationError,
  headers_too_large: ValidationError,
  quota_exceeded: QuotaError,
  rate_limited: RateLimitError,
  internal_error: ServerError,
  unavailable: ServerError,
};

export function errorFromResponse(
  status: number,
  body: { error?: { code?: string; message?: string; request_id?: string; details?: Array<{ path: string; message: string }> } } | null,
  headers: Headers,
): E2AError {
  const code = (body?.error?.code ?? (status >= 500 ? 'internal_error' : 'bad_request')) as ErrorCode;
  const Class = BY_CODE[code] ?? (status >= 500 ? ServerError : E2AError);
  const requestId = body?.error?.request_id ?? headers.get('x-request-id');
  const message = body?.error?.message ?? `HTTP ${status}`;
  const err = new Class(`${message}${requestId ? ` (request ${requestId})` : ''}`, code, status, requestId, body?.error?.details);
  if (err instanceof RateLimitError) {
    const retry = Number(headers.get('retry-after'));
    err.retryAfter = Number.isFinite(retry) && retry >= 0 ? retry : null;
  }
  return err;
}
