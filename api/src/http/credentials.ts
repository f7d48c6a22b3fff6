/**
 * Where an API key may and may not travel. Only in `Authorization: Bearer` (RFC 6750 §2.1): a key
 * in a URL ends up in proxy and access logs and browser history, so a URL that carries one is
 * refused with an error saying where the key goes (RFC 6750 §5.3 advises against the query form).
 */

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
