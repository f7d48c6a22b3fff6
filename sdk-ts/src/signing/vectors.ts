import type { AuthClaims } from './auth-claims.js';

/**
 * Our own fixed vector (DESIGN §5): these eight values and this secret must always give this
 * signature. Any implementation in any language can be checked against it.
 */
export const AUTH_CLAIM_VECTOR = {
  secret: 'e2a-vector-secret',
  claims: {
    verified: true,
    sender: 'alice@example.com',
    entityType: 'external',
    domainCheck: 'pass',
    delegation: '',
    timestamp: '2026-01-02T03:04:05Z',
    messageId: 'msg_01jgv5b4x8e2a0000000000000',
    // sha256("test")
    bodyHash: '9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
  } satisfies AuthClaims,
  signature: 'ee1cff256c0b2979783b1e0bdeb6878820c7b78ed278e791de52264dd8852f32',
} as const;
