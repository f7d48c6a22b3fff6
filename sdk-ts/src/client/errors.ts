/**
 * Typed errors from the API's error codes (the ERROR_STATUS table in the wire types). Every error
 * carries the code, the HTTP status and the request id to quote in a bug report.
 */
import type { ErrorCode } from '../wire/errors.js';

export class E2AError extends Error {
  override name = 'E2AError';
  constructor(
    message: string,
    readonly code: ErrorCode | 'network_error' | 'timeout',
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
