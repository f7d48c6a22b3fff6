/**
 * Which addresses a tenant may create an agent at, and what a refusal tells: the reserved names
 * (agents/reserved.ts) on the shared domain and on every served domain, the system's own
 * addresses, and answers that do not tell an address held by another account from a reserved one,
 * nor, on a domain that is not the caller's, an existing agent from a missing one.
 */
import type { Resolver } from '@e2a/relay';
import { createFakeResolver, type Zone } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ENGINES } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { ReservedAddresses } from './reserved.js';

const post = (body: unknown) => ({ method: 'POST', body: JSON.stringify(body) });

describe('reserved addresses', () => {
  const reserved = new ReservedAddresses({
    sharedDomain: 'agents.example',
    sharedDomainReserved: ['Billing'],
    systemAddresses: ['review@agents.example', 'notify@ops.example', 'Admin@Ops.Example', ''],
  });

  it('reserves the operator and MTA names on every served domain', () => {
    for (const local of ['postmaster', 'abuse', 'mailer-daemon', 'MAILER-DAEMON', 'PostMaster']) {
      expect(reserved.isReserved(local, 'agents.example'), local).toBe(true);
      expect(reserved.isReserved(local, 'tenant.example'), local).toBe(true);
    }
  });

  it('reserves RFC 2142 service names, no-reply names, the system senders and the configured list on the shared domain only', () => {
    for (const local of ['hostmaster', 'webmaster', 'noreply', 'no-reply', 'review', 'admin', 'billing', 'BILLING']) {
      expect(reserved.isReserved(local, 'agents.example'), local).toBe(true);
      expect(reserved.isReserved(local, 'tenant.example'), local).toBe(false);
    }
    expect(reserved.isReserved('bot', 'agents.example')).toBe(false);
    expect(reserved.isReserved('postmaster2', 'agents.example')).toBe(false);
  });

  it('reserves the subaddresses of a reserved name (RFC 5233: the mailbox is the part before +)', () => {
    expect(reserved.isReserved('postmaster+reports', 'tenant.example')).toBe(true);
    expect(reserved.isReserved('NoReply+x', 'agents.example')).toBe(true);
    expect(reserved.isReserved('notify+x', 'ops.example')).toBe(true);
    expect(reserved.isReserved('bot+postmaster', 'agents.example')).toBe(false);
  });

  it('reserves the system addresses exactly, wherever they are', () => {
    expect(reserved.isReserved('notify', 'ops.example')).toBe(true);
    expect(reserved.isReserved('admin', 'ops.example')).toBe(true);
    expect(reserved.isReserved('notify', 'tenant.example')).toBe(false);
  });
});

describe.each(ENGINES)('creating agents at taken and reserved addresses (%s)', (engine) => {
  let gw: TestGateway;
  let keyB: string;
  const zone: Zone = {};
  const resolver: Resolver = (name, type) => createFakeResolver(zone)(name, type);

  /** The error as the caller sees it, with the address it asked for and the request id taken out. */
  const refusal = async (res: Response, address: string) => {
    const body = (await res.json()) as { error: { code: string; message: string } };
    return { status: res.status, code: body.error.code, message: body.error.message.split(address).join('ADDRESS') };
  };

  beforeAll(async () => {
    gw = await startTestGateway({
      engine,
      resolver,
      env: {
        E2A_SHARED_DOMAIN_RESERVED: 'billing,support',
        E2A_ADMIN_EMAIL: 'ops@ops.example',
        E2A_REVIEW_NOTIFY_FROM: 'reviews@ops.example',
        E2A_OUTBOUND_SMTP_MODE: 'none',
      },
    });
    keyB = (await gw.gateway.accounts.bootstrap('tenant-b@example.net')).apiKey.key;
    // Account B holds an agent on the shared domain and a verified domain with an agent.
    expect((await gw.api('/v1/agents', { ...post({ local_part: 'taken' }), key: keyB })).status).toBe(201);
    const claim = (await (await gw.api('/v1/domains', { ...post({ name: 'b-corp.example' }), key: keyB })).json()) as { dns_records: Array<{ name: string; value: string }> };
    zone['_e2a.b-corp.example'] = { TXT: [claim.dns_records.find((r) => r.name === '_e2a.b-corp.example')!.value] };
    expect((await gw.api('/v1/domains/b-corp.example/verify', { method: 'POST', key: keyB })).status).toBe(200);
    expect((await gw.api('/v1/agents', { ...post({ address: 'ceo@b-corp.example' }), key: keyB })).status).toBe(201);
    // The operator verified ops.example in its own account (A).
    const ops = (await (await gw.api('/v1/domains', post({ name: 'ops.example' }))).json()) as { dns_records: Array<{ name: string; value: string }> };
    zone['_e2a.ops.example'] = { TXT: [ops.dns_records.find((r) => r.name === '_e2a.ops.example')!.value] };
    expect((await gw.api('/v1/domains/ops.example/verify', { method: 'POST' })).status).toBe(200);
  });
  afterAll(() => gw?.close());

  it('answers a name another account holds exactly as a reserved one, and creates a free one', async () => {
    const taken = await refusal(await gw.api('/v1/agents', post({ local_part: 'taken' })), `taken@${TEST_DOMAIN}`);
    expect(taken.status).toBe(409);
    expect(taken.message).toBe('ADDRESS is not available: it is reserved or already taken; pick another name');
    expect(taken.message).not.toMatch(/exists|agent|account/);
    for (const local_part of ['postmaster', 'abuse', 'mailer-daemon', 'hostmaster', 'webmaster', 'noreply', 'no-reply', 'review', 'admin', 'billing', 'Support']) {
      const reserved = await refusal(await gw.api('/v1/agents', post({ local_part })), `${local_part.toLowerCase()}@${TEST_DOMAIN}`);
      expect(reserved, local_part).toEqual(taken);
    }
    expect((await gw.api('/v1/agents', post({ local_part: 'free' }))).status).toBe(201);
    // Only the caller's own agent is named as such.
    const own = await refusal(await gw.api('/v1/agents', post({ local_part: 'free' })), `free@${TEST_DOMAIN}`);
    expect(own).toEqual({ status: 409, code: 'conflict', message: 'agent ADDRESS already exists in this account' });
  });

  it("answers the same for an existing and a missing address on another account's domain", async () => {
    const existing = await gw.api('/v1/agents', post({ address: 'ceo@b-corp.example' }));
    const missing = await gw.api('/v1/agents', post({ address: 'nobody@b-corp.example' }));
    const strange = await gw.api('/v1/agents', post({ address: 'nobody@unclaimed.example' }));
    const a = await refusal(existing, 'ceo@b-corp.example');
    const b = await refusal(missing, 'nobody@b-corp.example');
    expect(a).toEqual(b);
    expect(a.status).toBe(422);
    expect((await refusal(strange, 'nobody@unclaimed.example')).message).toBe(a.message.replace('b-corp.example', 'unclaimed.example'));
    // Reserved names there get that same answer too: nothing about another account's domain is told.
    expect(await refusal(await gw.api('/v1/agents', post({ address: 'postmaster@b-corp.example' })), 'postmaster@b-corp.example')).toEqual(a);
  });

  it("reserves the operator names on a tenant's own domain, and the system addresses wherever they are", async () => {
    for (const local of ['postmaster', 'abuse', 'mailer-daemon']) {
      expect((await gw.api('/v1/agents', { ...post({ address: `${local}@b-corp.example` }), key: keyB })).status, local).toBe(409);
    }
    // RFC 2142 service names of a tenant's own domain are the tenant's.
    for (const local of ['hostmaster', 'webmaster', 'billing']) {
      expect((await gw.api('/v1/agents', { ...post({ address: `${local}@b-corp.example` }), key: keyB })).status, local).toBe(201);
    }
    // admin_email and review.notify_from, on a domain the operator verified.
    expect((await gw.api('/v1/agents', post({ address: 'ops@ops.example' }))).status).toBe(409);
    expect((await gw.api('/v1/agents', post({ address: 'reviews@ops.example' }))).status).toBe(409);
    expect((await gw.api('/v1/agents', post({ address: 'desk@ops.example' }))).status).toBe(201);
  });
});
