import { AUTH_CLAIM_VECTOR, CLAIM_HEADERS } from '@e2a/sdk';
import { describe, expect, it } from 'vitest';
import { createClaimsSigner } from './claims.js';

describe('server claims signer', () => {
  it('produces the fixed auth-claim vector from a stored verdict', async () => {
    const v = AUTH_CLAIM_VECTOR;
    const signer = createClaimsSigner({ keys: { signingKey: async () => v.secret }, clock: { now: () => new Date(v.claims.timestamp) } });
    const headers = await signer.sign({
      accountId: 'usr_vector',
      messageId: v.claims.messageId,
      raw: Buffer.from('test'),
      senderIsAgent: false,
      authentication: {
        spf: { status: 'pass', domain: 'example.com', aligned: true },
        dkim: [{ status: 'pass', domain: 'example.com', selector: 's1', aligned: true }],
        dmarc: { status: 'pass', domain: 'example.com', policy: 'reject' },
        arc: { status: 'none' },
        verified: true,
        sender: 'alice@example.com',
      },
    });
    expect(headers[CLAIM_HEADERS.signature]).toBe(v.signature);
  });

  it('calls a verified sender that is one of our agents an agent, and an unverified one external', async () => {
    const signer = createClaimsSigner({ keys: { signingKey: async () => 's' }, clock: { now: () => new Date() } });
    const base = {
      spf: { status: 'pass' as const, domain: 'agents.test', aligned: true },
      dkim: [],
      dmarc: { status: 'pass' as const, domain: 'agents.test', policy: 'reject' },
      arc: { status: 'none' as const },
      sender: 'bot@agents.test',
    };
    const verified = await signer.sign({ accountId: 'usr_1', messageId: 'msg_1', raw: Buffer.from('x'), senderIsAgent: true, authentication: { ...base, verified: true } });
    expect(verified[CLAIM_HEADERS.entityType]).toBe('agent');
    const spoofed = await signer.sign({ accountId: 'usr_1', messageId: 'msg_1', raw: Buffer.from('x'), senderIsAgent: true, authentication: { ...base, verified: false } });
    expect(spoofed[CLAIM_HEADERS.entityType]).toBe('external');
  });
});
