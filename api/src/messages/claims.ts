/**
 * Signed auth claims for a stored message, made at the moment of delivery (a REST read, a webhook,
 * a WebSocket frame): verifiers reject claims older than five minutes, so they are never stored.
 * Each account's mail is signed with that account's claims key (accounts/claims-keys.ts), so a
 * tenant that verifies its own claims holds no key that signs another tenant's.
 */
import { rfc3339Seconds, signAuthClaims, type SignedClaimHeaders } from '@e2a/sdk';
import type { Authentication } from '@e2a/sdk/wire';
import type { Clock } from '../clock.js';
import { sha256Hex } from '../ids.js';

export interface ClaimsSigner {
  sign(input: {
    /** The account that owns the mailbox the message is delivered from. */
    accountId: string;
    messageId: string;
    raw: Buffer;
    authentication: Authentication | null;
    senderIsAgent: boolean;
  }): Promise<SignedClaimHeaders>;
}

/** Where the signer gets an account's current key (ClaimsKeys). */
export interface ClaimsKeySource {
  signingKey(accountId: string): Promise<string>;
}

export function createClaimsSigner(deps: { keys: ClaimsKeySource; clock: Clock }): ClaimsSigner {
  return {
    async sign({ accountId, messageId, raw, authentication, senderIsAgent }) {
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
        await deps.keys.signingKey(accountId),
      );
    },
  };
}
