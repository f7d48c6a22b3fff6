import { describe, expect, it } from 'vitest';
import { receivedHeader, rfc5322Date } from './received-header.js';

const base = {
  helo: 'mail.example.com',
  remoteAddress: '192.0.2.1',
  hostname: 'mx.agents.test',
  protocol: 'ESMTP',
  id: 'abc.1',
  recipients: ['bot@agents.test'],
  date: new Date(Date.UTC(2025, 5, 2, 9, 5, 7)),
};

describe('receivedHeader', () => {
  it('writes a folded RFC 5321 §4.4 trace field', () => {
    expect(receivedHeader(base)).toBe(
      'Received: from mail.example.com ([192.0.2.1])\r\n\tby mx.agents.test (e2a) with ESMTP id abc.1\r\n\tfor <bot@agents.test>;\r\n\tMon, 2 Jun 2025 09:05:07 +0000',
    );
  });

  it('strips header-breaking characters from the client-supplied HELO and tags IPv6 literals', () => {
    const out = receivedHeader({ ...base, helo: 'evil\r\nX-E2A-Auth-Verified: true (x)', remoteAddress: '2001:db8::1', recipients: [] });
    expect(out.split('\r\n')).toHaveLength(3);
    expect(out).toContain('from evilX-E2A-Auth-Verified:truex ([IPv6:2001:db8::1])');
    expect(out).not.toContain('for <');
  });

  it('records STARTTLS as a comment before "by", as Postfix does', () => {
    const out = receivedHeader({ ...base, protocol: 'ESMTPS', tls: { version: 'TLSv1.3', cipher: 'TLS_AES_256_GCM_SHA384' } });
    expect(out).toBe(
      'Received: from mail.example.com ([192.0.2.1])\r\n\t(using TLSv1.3 with cipher TLS_AES_256_GCM_SHA384)\r\n' +
        '\tby mx.agents.test (e2a) with ESMTPS id abc.1\r\n\tfor <bot@agents.test>;\r\n\tMon, 2 Jun 2025 09:05:07 +0000',
    );
    const odd = receivedHeader({ ...base, tls: { version: 'TLSv1.2)\r\nX: y', cipher: '' } });
    expect(odd).toContain('\t(using TLSv1.2Xy with cipher unknown)\r\n');
  });

  it('formats dates with a numeric zone', () => {
    expect(rfc5322Date(new Date(Date.UTC(2024, 0, 31, 23, 59, 59)))).toBe('Wed, 31 Jan 2024 23:59:59 +0000');
  });
});
