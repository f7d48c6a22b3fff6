/**
 * Every SMTP session holds a file descriptor, and so do the embedded database's files (~170 for
 * PGlite), HTTP clients and WebSocket listeners. If smtp_limits.max_connections does not fit under
 * the process's open-file limit, a connection flood exhausts descriptors before the cap applies and
 * takes the HTTP API down with it: said once at start-up, with the fix. Linux only (/proc).
 */
import { readdirSync, readFileSync } from 'node:fs';

/** Descriptors kept free for HTTP, WebSocket, database and DNS beyond the SMTP sessions. */
const HEADROOM = 256;

/** A warning when `maxConnections` sessions would not fit, else null. */
export function descriptorWarning(maxConnections: number, read = readProc): string | null {
  const proc = read();
  if (!proc) return null;
  const soft = /^Max open files\s+(\d+|unlimited)/m.exec(proc.limits)?.[1];
  if (!soft || soft === 'unlimited') return null;
  const free = Number(soft) - proc.open;
  if (maxConnections + HEADROOM <= free) return null;
  return (
    `smtp_limits.max_connections (${maxConnections}) does not fit in the open-file limit (${soft}, ${proc.open} in use): ` +
    `raise it (ulimit -n ${proc.open + maxConnections + HEADROOM}, LimitNOFILE= in systemd) or lower E2A_SMTP_LIMITS_MAX_CONNECTIONS`
  );
}

function readProc(): { limits: string; open: number } | null {
  try {
    return { limits: readFileSync('/proc/self/limits', 'utf8'), open: readdirSync('/proc/self/fd').length };
  } catch {
    return null;
  }
}
