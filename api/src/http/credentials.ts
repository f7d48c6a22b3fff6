/**
 * Where an API key may and may not travel. Only in `Authorization: Bearer` (RFC 6750 §2.1): a key
 * in a URL ends up in proxy and access logs and browser history, so a URL that carries one is
 * refused with an error saying where the key goes (RFC 6750 §5.3 advises against the query form).
 */
import { timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { parseCookie } from 'cookie';

/** The token of an `Authorization: Bearer <token>` header, or null for any other form. */
export function bearerToken(header: string): string | null {
  return /^Bearer\s+(\S+)\s*$/i.exec(header)?.[1] ?? null;
}

const CREDENTIAL_PARAMS = new Set(['token', 'key', 'api_key', 'apikey', 'access_token', 'auth', 'authorization', 'bearer']);

/** A query parameter named like a credential, or holding an e2a key under any name. */
export function credentialInUrl(params: URLSearchParams): boolean {
  for (const [name, value] of params) {
    if (CREDENTIAL_PARAMS.has(name.toLowerCase()) || value.startsWith('e2a_')) return true;
  }
  return false;
}

/**
 * Dashboard sessions (accounts/dashboard-sessions.ts) travel in cookies: `e2a_session` (httpOnly)
 * authenticates, `e2a_csrf` (readable by the page's script) is echoed in `X-CSRF-Token` on every
 * request that changes something, which a page of another site cannot do.
 */
export const SESSION_COOKIE = 'e2a_session';
export const CSRF_COOKIE = 'e2a_csrf';
export const CSRF_HEADER = 'x-csrf-token';

/** What a request authenticates with: `Authorization` wins over the session cookie. */
export type RequestCredential =
  | { kind: 'key'; /** null: an Authorization header that is not `Bearer <token>`. */ token: string | null }
  | { kind: 'session'; token: string; csrf: string | null };

/** The one reading of a request's credential, for the REST routes and the WebSocket upgrade alike. */
export function requestCredential(headers: IncomingHttpHeaders): RequestCredential | null {
  if (headers.authorization !== undefined) return { kind: 'key', token: bearerToken(headers.authorization) };
  if (!headers.cookie) return null;
  const cookies = parseCookie(headers.cookie);
  const token = cookies[SESSION_COOKIE];
  if (!token) return null;
  return { kind: 'session', token, csrf: cookies[CSRF_COOKIE] ?? null };
}

/** The `Origin` of a page of this gateway: `public_url`'s, or the request's own host (any port-forward or alias it is reached by). */
export function isOwnOrigin(origin: string, req: { host: string | undefined; publicUrl: string | undefined }): boolean {
  if (req.publicUrl !== undefined && origin === new URL(req.publicUrl).origin) return true;
  try {
    return req.host !== undefined && new URL(origin).host === req.host.toLowerCase();
  } catch {
    return false;
  }
}

const SAFE_METHODS = new Set(['GET', 'HEAD', 'OPTIONS']);

/**
 * The CSRF rule for a request authenticated by the session cookie: a method other than GET/HEAD/
 * OPTIONS needs `X-CSRF-Token` equal to the session's CSRF token (the `e2a_csrf` cookie), and an
 * `Origin`, if sent, of this gateway. Returns why it is refused, or null.
 */
export function csrfRefusal(req: { method: string; headers: IncomingHttpHeaders; publicUrl: string | undefined }, expected: string): string | null {
  if (SAFE_METHODS.has(req.method.toUpperCase())) return null;
  const origin = req.headers.origin;
  if (origin !== undefined && !isOwnOrigin(origin, { host: req.headers.host, publicUrl: req.publicUrl })) {
    return `CSRF check failed: Origin ${JSON.stringify(origin).slice(0, 100)} is not this gateway; a dashboard session is only accepted from the gateway's own pages`;
  }
  const sent = req.headers[CSRF_HEADER];
  if (typeof sent !== 'string' || sent === '') return 'CSRF check failed: a request made with the dashboard session cookie must send X-CSRF-Token with the value of the e2a_csrf cookie';
  if (!safeEqual(sent, expected)) return 'CSRF check failed: X-CSRF-Token does not match this session (sign in again if the e2a_csrf cookie is stale)';
  return null;
}

function safeEqual(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}
