/**
 * Webhook signing secrets: `whsec_` + base64 of 32 random bytes (Standard Webhooks 1.0, "Signature
 * scheme"), stored sealed with SecretBox and shown to the user only when created or rotated.
 * After a rotation the previous secret keeps signing for ROTATION_OVERLAP_MS, so receivers can
 * switch at their own pace: during that window every request carries both signatures.
 */
import { generateWebhookSecret } from '@e2a/sdk';
import type { SecretBox } from '../crypto/secret-box.js';

export const ROTATION_OVERLAP_MS = 24 * 3600 * 1000;

/** The format is the SDK's (`e2a listen --forward` makes its secret the same way). */
export const generateSecret = generateWebhookSecret;

/** The secrets to sign with now, current first. */
export function activeSecrets(
  row: { secret: Uint8Array; previous_secret: Uint8Array | null; previous_secret_expires_at: Date | null },
  box: SecretBox,
  now: Date,
): string[] {
  const secrets = [box.open(row.secret).toString('utf8')];
  if (row.previous_secret && row.previous_secret_expires_at && new Date(row.previous_secret_expires_at).getTime() > now.getTime()) {
    secrets.push(box.open(row.previous_secret).toString('utf8'));
  }
  return secrets;
}
