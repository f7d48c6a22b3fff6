import { buildMessage, generateDkimKey, signMessage, startDnsServer, type TestDnsServer } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { deliver } from '../testing/mail.js';

/** The real resolver path: node:dns, pointed by E2A_DNS_SERVERS at a DNS server on loopback. */
describe('sender authentication through dns.servers', () => {
  const dkim = generateDkimKey('example.com', 'real');
  let dns: TestDnsServer;
  let gw: TestGateway;
  const bot = `bot@${TEST_DOMAIN}`;

  beforeAll(async () => {
    dns = await startDnsServer({
      'example.com': { TXT: ['v=spf1 ip4:127.0.0.1 -all'] },
      [dkim.dnsName]: { TXT: [dkim.txt] },
      '_dmarc.example.com': { TXT: ['v=DMARC1; p=reject; adkim=s; aspf=s'] },
    });
    gw = await startTestGateway({ engine: 'pglite', env: { E2A_DNS_SERVERS: dns.address, E2A_DNS_TIMEOUT_MS: '2000' } });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
  });
  afterAll(async () => {
    await gw?.close();
    await dns?.close();
  });

  it('verifies SPF, DKIM and DMARC with answers from the configured server, and caches them', async () => {
    const raw = await signMessage(buildMessage({ to: bot, messageId: 'dns-1@example.com' }), dkim);
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], raw);
    const { items } = await (await gw.api(`/v1/agents/${bot}/messages`)).json();
    const message = await (await gw.api(`/v1/agents/${bot}/messages/${items[0].id}`)).json();
    expect(message.authentication).toMatchObject({ verified: true, spf: { status: 'pass' }, dmarc: { status: 'pass' } });
    expect(message.authentication.dkim[0]).toMatchObject({ status: 'pass', selector: 'real' });
    expect(dns.queries).toContain(`TXT ${dkim.dnsName}`);

    const asked = dns.queries.length;
    await deliver(gw.gateway.smtpPort, 'alice@example.com', [bot], await signMessage(buildMessage({ to: bot, messageId: 'dns-2@example.com' }), dkim));
    expect(dns.queries.filter((q) => q === `TXT ${dkim.dnsName}`)).toHaveLength(1);
    expect(dns.queries.length).toBe(asked);
  });
});
