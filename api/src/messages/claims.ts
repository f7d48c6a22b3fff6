/**
 * Signed auth claims for a stored message, made at the moment of delivery (a REST read, a webhook,
 * a WebSocket frame): verifiers reject claims older than five minutes, so they are never stored.
 */
import { rfc3339Seconds, signAuthClaims, type SignedClaimHeaders } from '@e2a/sdk';
import type { Authentication } from '@e2a/sdk/wire';
import type { Clock } from '../clock.js';
import { sha256Hex } from '../ids.js';

export interface ClaimsSigner {
  sign(input: { messageId: string; raw: Buffer; authentication: Authentication | null; senderIsAgent: boolean }): Promise<SignedClaimHeaders>;
}

export function createClaimsSigner(deps: { hmacSecret: string; clock: Clock }): ClaimsSigner {
  return {
    sign({ messageId, raw, authentication, senderIsAgent }) {
      const verified = authentication?.verified ?? false;
      return signAuthClaims(
        {
          verified,
          sender: authentication?.sender ?? '',
          entityType: verified && senderIsAgent ? 'agent' : 'external',
          domainCheck: authentication?.dmarc.status ?? 'none',
          delegation: '',
          timestamp: rfc3339Seconds(deps.clock.now()),
          messageId,
          bodyHash: sha256Hex(raw),
        },
        deps.hmacSecret,
      );
    },
  };
}
