import { describe, expect, it } from 'vitest';
import { createSenderVerifier, type SenderVerifier } from '../auth/verify.js';
import { DEFAULT_MESSAGE_LIMITS } from '../mime/limits.js';
import type { InboundMessage } from '../ports.js';
import { generateDkimKey, signMessage } from '../testing/dkim.js';
import { createTestLogger } from '../testing/fake-ports.js';
import { createFakeResolver } from '../testing/fake-resolver.js';
import { buildMessage } from '../testing/messages.js';
import { receive } from './receive.js';

const key = generateDkimKey('example.com', 'sel');
const at = new Date('2025-06-02T10:00:05Z');
const clock = { now: () => at };
const recipients = [{ agentId: 'agent_1', address: 'bob@example.com' }];
const verifier = createSenderVerifier({
  resolver: createFakeResolver({ [key.dnsName]: { TXT: [key.txt] }, '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject'] } }),
  authservId: 'mx.example.com',
  logger: createTestLogger(),
});

describe('receive', () => {
  it('takes local mail in with SPF vouched for by the gateway, its own trace fields, and sender X-E2A-* stripped', async () => {
    const raw = await signMessage(buildMessage({ to: 'bob@example.com', headers: ['X-E2A-Conversation-Id: conv_forged'] }), key);
    const taken: InboundMessage[] = [];
    const { accepted, authentication } = await receive(
      raw,
      { via: 'local', id: 'queue_1', mailFrom: 'alice@Example.com', recipients },
      { verifier, hostname: 'mx.example.com', clock, accept: async (m) => (taken.push(m), 'stored') },
    );
    expect(accepted).toBe('stored');
    expect(authentication.spf).toEqual({ status: 'pass', domain: 'example.com', aligned: true });
    expect(authentication.dkim).toEqual([{ status: 'pass', domain: 'example.com', selector: 'sel', aligned: true }]);
    const message = taken[0]!;
    expect(message.authentication).toEqual(authentication);
    expect(message.envelope).toEqual({ mailFrom: 'alice@Example.com', recipients, remoteAddress: '127.0.0.1', helo: 'mx.example.com' });
    expect(message.receivedAt).toEqual(at);
    const stored = message.raw.toString('utf8');
    expect(
      stored.startsWith(
        'Authentication-Results: mx.example.com;\r\n' +
          ' spf=pass (local delivery: sent by an agent of this gateway) smtp.mailfrom=alice@Example.com;\r\n' +
          ' dkim=pass header.d=example.com header.s=sel;\r\n' +
          ' dmarc=pass header.from=example.com\r\n' +
          'Received: by mx.example.com with LOCAL id queue_1; Mon, 02 Jun 2025 10:00:05 +0000\r\n',
      ),
    ).toBe(true);
    expect(stored).not.toContain('conv_forged');
    expect(message.parsed.messageId).toBe('m1@example.com');
  });

  it('refuses a message over a limit before the verifier reads it', async () => {
    let verified = 0;
    const counting: SenderVerifier = { verify: (raw, ctx) => (verified++, verifier.verify(raw, ctx)) };
    const headers = Array.from({ length: 20 }, (_, i) => `X-Filler-${i}: x`);
    const receipt = await receive(
      buildMessage({ headers }),
      { via: 'smtp', id: 's1.1', mailFrom: 'alice@example.com', recipients, remoteAddress: '192.0.2.1', helo: 'mail.example.com', protocol: 'ESMTP' },
      { verifier: counting, hostname: 'mx.example.com', clock, messageLimits: { ...DEFAULT_MESSAGE_LIMITS, maxHeaderLines: 10 }, accept: async () => 'stored' },
    );
    expect(receipt).toMatchObject({ ok: false, limit: 'header_lines', reply: { code: 552 } });
    expect(verified).toBe(0);
  });
});
