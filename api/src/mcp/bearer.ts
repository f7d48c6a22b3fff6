/**
 * The API key of an /mcp request: from the Authorization header only (http/credentials.ts). A key in
 * tool arguments would end up in the model's context, so it is not read either.
 */
import type { Request } from 'express';
import { bearerToken, credentialInUrl } from '../http/credentials.js';
import { AppError } from '../errors.js';

export function bearerKey(req: Request): string {
  const header = req.get('authorization');
  if (!header) {
    const inUrl = credentialInUrl(new URL(req.originalUrl, 'http://localhost').searchParams);
    throw new AppError(
      'unauthorized',
      inUrl
        ? 'API keys in the URL are not accepted (URLs are logged): send "Authorization: Bearer e2a_…" instead, and revoke the key you put in the URL'
        : 'missing API key: send "Authorization: Bearer e2a_…" (in an MCP client config, as a header)',
      undefined,
      { 'WWW-Authenticate': 'Bearer realm="e2a"' },
    );
  }
  const token = bearerToken(header);
  if (token === null) throw new AppError('unauthorized', 'Authorization header must be "Bearer e2a_…"', undefined, { 'WWW-Authenticate': 'Bearer realm="e2a", error="invalid_request"' });
  return token;
}
