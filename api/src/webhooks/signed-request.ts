/**
 * One webhook request: the event envelope as JSON and the Standard Webhooks headers. webhook-id is
 * the event id, so it is the same on every retry, on a replay and on the WebSocket, and receivers
 * can de-duplicate on it. The timestamp is the attempt time (the spec's replay window is about
 * when the request was signed, not when the event happened).
 */
import { signWebhook } from '@e2a/sdk';
import type { PostRequest } from '../net/http-poster.js';

export function signedRequest(url: string, envelope: { id: string }, secrets: string[], at: Date): PostRequest {
  const body = JSON.stringify(envelope);
  return { url, body, headers: { ...signWebhook(secrets, envelope.id, at, body) } };
}
