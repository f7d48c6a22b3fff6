/**
 * Magic-link tokens: 32 random bytes (base64url) in the link, only their SHA-256 in review_tokens,
 * so a database leak yields no usable link. A fast hash is enough: the token has 256 bits of
 * entropy, so there is nothing to brute-force that a slow hash would protect.
 */
import { randomToken, sha256Hex } from '../ids.js';

export type TokenAction = 'approve' | 'reject';

export interface IssuedToken {
  action: TokenAction;
  token: string;
  hash: string;
}

export function hashToken(token: string): string {
  return sha256Hex(token);
}

export function issueToken(action: TokenAction): IssuedToken {
  const token = randomToken(32);
  return { action, token, hash: hashToken(token) };
}

/** Tokens are 43 base64url characters; anything else is not worth a database lookup. */
export function isWellFormedToken(token: string): boolean {
  return /^[A-Za-z0-9_-]{43}$/.test(token);
}

export function reviewLink(publicUrl: string, token: string): string {
  return `${publicUrl.replace(/\/+$/, '')}/review/${token}`;
}
