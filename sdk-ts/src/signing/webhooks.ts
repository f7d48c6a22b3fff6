/**
 * Standard Webhooks 1.0 signatures (https://www.standardwebhooks.com/): headers webhook-id,
 * webhook-timestamp and webhook-signature = space-separated `v1,<base64 HMAC-SHA256(key,
 * "id.timestamp.body")>`, one per current secret (two during a rotation). Secrets are `whsec_<base64>`.
 * The reference `standardwebhooks` library does the HMAC, so any Standard Webhooks or Svix verifier
 * accepts what we send by construction.
 */
import { Webhook } from 'standardwebhooks';
import { headerValue, type HeaderSource } from './header-source.js';
import { randomBytes } from './web-crypto.js';

export const WEBHOOK_HEADERS = { id: 'webhook-id', timestamp: 'webhook-timestamp', signature: 'webhook-signature' } as const;

/** Default tolerance for the timestamp, as the spec recommends. */
export const WEBHOOK_TOLERANCE_SECONDS = 300;

export const WEBHOOK_SECRET_PREFIX = 'whsec_';

/** A new signing secret: `whsec_` + base64 of 32 random bytes (Standard Webhooks 1.0, "Signature scheme"). */
export function generateWebhookSecret(): string {
  const bytes = randomBytes(32);
  return `${WEBHOOK_SECRET_PREFIX}${btoa(String.fromCharCode(...bytes))}`;
}

/** A type alias, not an interface, so it can be passed straight back to verifyWebhook. */
export type SignedWebhookHeaders = {
  'webhook-id': string;
  'webhook-timestamp': string;
  'webhook-signature': string;
};

/** Signs one request with every given secret (the current one first). */
export function signWebhook(secrets: string[], id: string, timestamp: Date, body: string): SignedWebhookHeaders {
  if (secrets.length === 0) throw new Error('signWebhook needs at least one secret');
  const signatures = secrets.map((secret) => new Webhook(secret).sign(id, timestamp, body));
  return {
    'webhook-id': id,
    'webhook-timestamp': String(Math.floor(timestamp.getTime() / 1000)),
    'webhook-signature': signatures.join(' '),
  };
}

export class WebhookSignatureError extends Error {
  override name = 'WebhookSignatureError';
  constructor(
    readonly reason: 'missing_header' | 'bad_signature' | 'timestamp' | 'bad_secret',
    message: string,
  ) {
    super(message);
  }
}

/**
 * Verifies a webhook request and returns its parsed JSON body. `rawBody` must be the exact bytes
 * received: re-serialised JSON has different bytes and never verifies.
 */
export function verifyWebhook(rawBody: string | Uint8Array, headers: HeaderSource, secret: string | string[], options: { now?: Date; toleranceSeconds?: number } = {}): unknown {
  const body = typeof rawBody === 'string' ? rawBody : new TextDecoder().decode(rawBody);
  const id = headerValue(headers, WEBHOOK_HEADERS.id);
  const timestamp = headerValue(headers, WEBHOOK_HEADERS.timestamp);
  const signature = headerValue(headers, WEBHOOK_HEADERS.signature);
  for (const [name, value] of [[WEBHOOK_HEADERS.id, id], [WEBHOOK_HEADERS.timestamp, timestamp], [WEBHOOK_HEADERS.signature, signature]] as const) {
    if (!value) throw new WebhookSignatureError('missing_header', `webhook: header ${name} is missing; pass the request headers exactly as received`);
  }
  const seconds = Number(timestamp);
  const now = (options.now ?? new Date()).getTime() / 1000;
  const tolerance = options.toleranceSeconds ?? WEBHOOK_TOLERANCE_SECONDS;
  if (!Number.isFinite(seconds) || Math.abs(now - seconds) > tolerance) {
    throw new WebhookSignatureError('timestamp', `webhook: timestamp ${timestamp} is outside the ${tolerance}s tolerance; check this machine's clock, and do not replay old requests`);
  }
  const offered = signature!.split(' ').map((part) => part.split(',')).filter(([version]) => version === 'v1').map(([, sig]) => sig);
  const secrets = Array.isArray(secret) ? secret : [secret];
  for (const s of secrets) {
    let wh: Webhook;
    try {
      wh = new Webhook(s);
    } catch {
      throw new WebhookSignatureError('bad_secret', 'webhook: the secret is not a whsec_… value; copy it exactly as shown when the webhook was created');
    }
    // The library checks the timestamp against the real clock; ours is checked above (injectable).
    const expected = wh.sign(id!, new Date(seconds * 1000), body).split(',')[1];
    if (offered.some((sig) => sig !== undefined && constantTimeEqual(sig, expected!))) return JSON.parse(body);
  }
  throw new WebhookSignatureError(
    'bad_signature',
    'webhook: signature mismatch; verify against the raw request body (not re-serialised JSON) with the whsec_ secret of this webhook (both during a rotation)',
  );
}

function constantTimeEqual(a: string, b: string): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= a.charCodeAt(i) ^ b.charCodeAt(i);
  return diff === 0;
}
