/**
 * Webhook receiving for users: verify a request and get the typed event, or sign one for your own
 * tests. Standard Webhooks 1.0 underneath, so these interoperate with any other verifier.
 */
import type { Event } from '../wire/index.js';
import { headerValue, type HeaderSource } from './header-source.js';
import { signWebhook, verifyWebhook, WEBHOOK_HEADERS, WebhookSignatureError, type SignedWebhookHeaders } from './webhooks.js';

/**
 * Verifies a webhook request from e2a and returns its event. Pass the raw body exactly as received
 * (in express: `express.raw({ type: 'application/json' })`), the request headers, and the webhook's
 * secret (a list during a rotation). Throws WebhookSignatureError saying what to fix.
 */
export function constructEvent(
  rawBody: string | Uint8Array,
  headers: HeaderSource,
  secret: string | string[],
  options: { toleranceSeconds?: number; now?: Date } = {},
): Event {
  if (typeof rawBody !== 'string' && !(rawBody instanceof Uint8Array)) {
    throw new WebhookSignatureError(
      'bad_signature',
      'webhook: rawBody must be the request body as a string or bytes, not a parsed object; use express.raw() or read the body before parsing JSON',
    );
  }
  const event = verifyWebhook(rawBody, headers, secret, options) as Event;
  if (event.id !== headerValue(headers, WEBHOOK_HEADERS.id)) {
    throw new WebhookSignatureError('bad_signature', 'webhook: the body does not belong to this webhook-id');
  }
  return event;
}

/** Signs an event as e2a would, for testing your webhook handler without a gateway. */
export function signTestWebhook(event: Event, secret: string, timestamp = new Date()): { body: string; headers: SignedWebhookHeaders } {
  const body = JSON.stringify(event);
  return { body, headers: signWebhook([secret], event.id, timestamp, body) };
}
