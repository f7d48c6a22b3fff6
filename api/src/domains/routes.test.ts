/** /v1/domains: records to publish, ownership verification through the injected resolver, deletion rules. */
import type { Resolver } from '@e2a/relay';
import { createFakeResolver, type Zone } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { eraseAgentNow } from '../testing/erase.js';

const post = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) });
type Domain = { name: string; shared: boolean; verified: boolean; dns_records: Array<{ type: string; name: string; value: string }> };

describe.each(ENGINES)('domains (%s)', (engine) => {
  let gw: TestGateway;
  const zone: Zone = {};
  const resolver: Resolver = (name, type) => createFakeResolver(zone)(name, type);

  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver, env: { E2A_OUTBOUND_SMTP_MODE: 'none' } });
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('adds, verifies by TXT, hosts agents, and refuses to delete a domain in use', async () => {
    const created = await gw.api('/v1/domains', post({ name: 'Mail.Example.org' }));
    expect(created.status).toBe(201);
    const domain = (await created.json()) as Domain;
    expect(domain).toMatchObject({ name: 'mail.example.org', shared: false, verified: false });
    const ownership = domain.dns_records.find((r) => r.name === '_e2a.mail.example.org')!;
    // The DKIM key is made once the domain is verified (domains/service.ts).
    expect(domain.dns_records.map((r) => r.type)).toEqual(['TXT', 'MX']);

    const early = await gw.api('/v1/domains/mail.example.org/verify', { method: 'POST' });
    expect(early.status).toBe(422);
    expect(((await early.json()) as { error: { message: string } }).error.message).toContain(ownership.value);
    expect((await gw.api('/v1/agents', post({ address: `bot@mail.example.org` }))).status).toBe(422);

    zone['_e2a.mail.example.org'] = { TXT: ['v=spf1 -all', ownership.value] };
    const verified = await gw.api('/v1/domains/mail.example.org/verify', { method: 'POST' });
    expect(verified.status).toBe(200);
    const verifiedDomain = (await verified.json()) as Domain;
    expect(verifiedDomain.verified).toBe(true);
    expect(verifiedDomain.dns_records.find((r) => r.name === 'e2a._domainkey.mail.example.org')?.value).toMatch(/^v=DKIM1; k=rsa; p=/);
    expect((await gw.api('/v1/agents', post({ address: `bot@mail.example.org` }))).status).toBe(201);

    const list = (await (await gw.api('/v1/domains')).json()) as { items: Domain[] };
    expect(list.items.map((d) => [d.name, d.shared])).toEqual([[TEST_DOMAIN, true], ['mail.example.org', false]]);
    // Claiming it again returns the claim this account holds.
    const again = await gw.api('/v1/domains', post({ name: 'mail.example.org' }));
    expect(again.status).toBe(200);
    expect(((await again.json()) as Domain).verified).toBe(true);
    expect((await gw.api(`/v1/domains/${TEST_DOMAIN}/verify`, { method: 'POST' })).status).toBe(403);
    expect((await gw.api('/v1/domains/mail.example.org', { method: 'DELETE' })).status).toBe(409);
    await eraseAgentNow(gw, 'bot@mail.example.org');
    expect((await gw.api('/v1/domains/mail.example.org', { method: 'DELETE' })).status).toBe(204);
    expect((await gw.api('/v1/domains/mail.example.org')).status).toBe(404);
  });
});
