/**
 * One error base class for the whole server. Codes come from the wire table (ERROR_STATUS), so the
 * HTTP edge maps code → status in one place and the SDK maps code → error class from the same table.
 * Services throw these; only the edges (http/, realtime/, mcp/) turn them into answers.
 */
import { ERROR_STATUS, type ErrorCode } from '@e2a/sdk/wire';

export class AppError extends Error {
  override name = 'AppError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details?: Array<{ path: string; message: string }>,
    readonly headers?: Record<string, string>,
  ) {
    super(message);
  }

  get status(): number {
    return ERROR_STATUS[this.code];
  }
}

export const notFound = (what: string) => new AppError('not_found', `${what} not found`);
