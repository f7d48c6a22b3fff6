/**
 * "The database is not there right now", told apart from "this statement is wrong": PostgreSQL
 * refused or dropped the connection (restart, failover, an administrator's pg_terminate_backend,
 * a network fault). Nothing is wrong with the request, so the edges answer "try again": HTTP 503
 * `unavailable` (http/app.ts); the SMTP edge answers every failure 451 4.3.0 anyway.
 */

/** Socket errors on the way to the server (Node's error.code). */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'EHOSTDOWN', 'ENOTFOUND', 'EAI_AGAIN']);

/**
 * SQLSTATEs (PostgreSQL Appendix A) meaning the server, not the statement, failed: class 08
 * connection exception, 57P01 admin_shutdown (also pg_terminate_backend), 57P02 crash_shutdown,
 * 57P03 cannot_connect_now (starting up or shutting down), 57P05 idle_session_timeout, 53300
 * too_many_connections.
 */
const SERVER_STATES = new Set(['57P01', '57P02', '57P03', '57P05', '53300']);

/**
 * node-postgres reports a lost connection with plain Errors that carry no code (pg/lib/client.js,
 * pg-pool/index.js); these are their messages.
 */
const DRIVER_MESSAGES = [
  'Connection terminated',
  'Client has encountered a connection error and is not queryable',
  'Client was closed and is not queryable',
  'timeout exceeded when trying to connect',
];

export function isDatabaseUnavailable(err: unknown): boolean {
  if (typeof err !== 'object' || err === null) return false;
  const { code, message, errors } = err as { code?: unknown; message?: unknown; errors?: unknown };
  if (typeof code === 'string' && (NETWORK_CODES.has(code) || SERVER_STATES.has(code) || code.startsWith('08'))) return true;
  if (typeof message === 'string' && DRIVER_MESSAGES.some((m) => message.startsWith(m))) return true;
  // Node's happy-eyeballs connect (a host name with IPv4 and IPv6 addresses) fails with an AggregateError.
  return Array.isArray(errors) && errors.length > 0 && errors.every(isDatabaseUnavailable);
}
