/**
 * The API key of an /mcp request: from the Authorization header only. A key in the URL ends up in
 * proxy and access logs and browser history, and a key in tool arguments ends up in the model's
 * context, so neither is read; a URL that carries one gets an error saying where the key goes.
 */
import type { Request } from 'express';
import { AppError } from '../http/errors.js';

const KEY_PARAMS = ['key', 'api_key', 'apikey', 'token', 'access_token', 'authorization'];

export function bearerKey(req: Request): string {
  const header = req.get('authorization');
  if (!header) {
    const inUrl = Object.keys(req.query).some((k) => KEY_PARAMS.includes(k.toLowerCase()));
    throw new AppError(
      'unauthorized',
      inUrl
        ? 'API keys in the URL are not accepted (URLs are logged): send "Authorization: Bearer e2a_…" instead, and revoke the key you put in the URL'
        : 'missing API key: send "Authorization: Bearer e2a_…" (in an MCP client config, as a header)',
      undefined,
      { 'WWW-Authenticate': 'Bearer realm="e2a"' },
    );
  }
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match) throw new AppError('unauthorized', 'Authorization header must be "Bearer e2a_…"', undefined, { 'WWW-Authenticate': 'Bearer realm="e2a", error="invalid_request"' });
  return match[1]!;
}
