import { describe, expect, it } from 'vitest';
import { withTimeout } from './resolver.js';
import { createSenderVerifier } from './verify.js';
import { createFakeResolver, type Zone } from '../testing/fake-resolver.js';
import { generateDkimKey, signMessage } from '../testing/dkim.js';
import { buildMessage } from '../testing/messages.js';
import { createTestLogger } from '../testing/fake-ports.js';

const key = generateDkimKey('example.com', 'sel');
const subKey = generateDkimKey('mail.example.com', 'sel');
const ctx = { ip: '127.0.0.1', helo: 'mail.example.com', mailFrom: 'alice@example.com' };

function zone(dmarc: string | null, spf = 'v=spf1 ip4:127.0.0.1 -all'): Zone {
  return {
    'example.com': { TXT: [spf], A: ['127.0.0.1'] },
    'mail.example.com': { A: ['127.0.0.1'] },
    [key.dnsName]: { TXT: [key.txt] },
    [subKey.dnsName]: { TXT: [subKey.txt] },
    ...(dmarc ? { '_dmarc.example.com': { TXT: [dmarc] } } : {}),
  };
}

function verifier(z: Zone, opts: { hang?: string[] } = {}) {
  const resolver = withTimeout(createFakeResolver(z, opts), 50);
  return createSenderVerifier({ resolver, authservId: 'mx.agents.test', logger: createTestLogger() });
}

describe('sender verification', () => {
  it('passes SPF, DKIM and DMARC for a signed message from a listed IP', async () => {
    const raw = await signMessage(buildMessage(), key);
    const { authentication, authResultsHeader } = await verifier(zone('v=DMARC1; p=reject')).verify(raw, ctx);
    expect(authentication.spf).toEqual({ status: 'pass', domain: 'example.com', aligned: true });
    expect(authentication.dkim).toEqual([{ status: 'pass', domain: 'example.com', selector: 'sel', aligned: true }]);
    expect(authentication.dmarc).toEqual({ status: 'pass', domain: 'example.com', policy: 'reject' });
    expect(authentication.verified).toBe(true);
    expect(authentication.sender).toBe('alice@example.com');
    expect(authResultsHeader).toMatch(/^Authentication-Results: mx\.agents\.test;\r\n /);
    expect(authResultsHeader).toContain('dkim=pass');
  });

  it('fails DKIM when the body was changed after signing', async () => {
    const signed = await signMessage(buildMessage(), key);
    const tampered = Buffer.from(signed.toString('latin1').replace('please reply', 'please pay'), 'latin1');
    const { authentication } = await verifier(zone('v=DMARC1; p=reject')).verify(tampered, {
      ...ctx,
      ip: '192.0.2.9', // not in SPF either, so DMARC has nothing left
    });
    expect(authentication.dkim[0]?.status).toBe('fail');
    expect(authentication.dmarc.status).toBe('fail');
    expect(authentication.verified).toBe(false);
  });

  it('with adkim=s a d=mail.example.com signature does not align with From example.com', async () => {
    const raw = await signMessage(buildMessage(), subKey);
    const z = zone('v=DMARC1; p=reject; adkim=s');
    const { authentication } = await verifier(z).verify(raw, { ...ctx, ip: '192.0.2.9' });
    expect(authentication.dkim).toEqual([{ status: 'pass', domain: 'mail.example.com', selector: 'sel', aligned: false }]);
    expect(authentication.dmarc.status).toBe('fail');
    expect(authentication.verified).toBe(false);
  });

  it('with relaxed alignment the same signature aligns', async () => {
    const raw = await signMessage(buildMessage(), subKey);
    const { authentication } = await verifier(zone('v=DMARC1; p=reject')).verify(raw, { ...ctx, ip: '192.0.2.9' });
    expect(authentication.dkim[0]?.aligned).toBe(true);
    expect(authentication.dmarc.status).toBe('pass');
    expect(authentication.verified).toBe(true);
  });

  it('without a DMARC record an aligned DKIM pass still verifies', async () => {
    const raw = await signMessage(buildMessage(), key);
    const { authentication } = await verifier(zone(null)).verify(raw, { ...ctx, ip: '192.0.2.9' });
    expect(authentication.dmarc).toEqual({ status: 'none', domain: 'example.com', policy: null });
    expect(authentication.verified).toBe(true);
  });

  it('without a DMARC record an unaligned DKIM pass does not verify', async () => {
    const other = generateDkimKey('other.example', 'sel');
    const raw = await signMessage(buildMessage(), other);
    const z = { ...zone(null), [other.dnsName]: { TXT: [other.txt] } };
    const { authentication } = await verifier(z).verify(raw, { ...ctx, ip: '192.0.2.9' });
    expect(authentication.dkim[0]).toMatchObject({ status: 'pass', aligned: false });
    expect(authentication.verified).toBe(false);
  });

  it('reports SPF softfail for ~all and fail for -all from an unlisted IP', async () => {
    const raw = buildMessage();
    const soft = await verifier(zone(null, 'v=spf1 ip4:127.0.0.1 ~all')).verify(raw, { ...ctx, ip: '192.0.2.9' });
    expect(soft.authentication.spf.status).toBe('softfail');
    const hard = await verifier(zone(null)).verify(raw, { ...ctx, ip: '192.0.2.9' });
    expect(hard.authentication.spf.status).toBe('fail');
    expect(hard.authentication.verified).toBe(false);
  });

  it('turns a DNS timeout into temperror verdicts', async () => {
    const raw = await signMessage(buildMessage(), key);
    const { authentication, authResultsHeader } = await verifier(zone('v=DMARC1; p=reject'), { hang: ['*'] }).verify(raw, ctx);
    expect(authentication.spf.status).toBe('temperror');
    expect(authentication.dkim[0]?.status).toBe('temperror');
    expect(authentication.dmarc.status).toBe('temperror');
    expect(authentication.verified).toBe(false);
    expect(authResultsHeader).toContain('temperror');
  });

  it('never throws: a resolver that throws synchronously gives a temperror verdict', async () => {
    const broken = () => {
      throw new Error('boom');
    };
    const v = createSenderVerifier({ resolver: broken, authservId: 'mx.agents.test', logger: createTestLogger() });
    const { authentication } = await v.verify(buildMessage(), ctx);
    expect(authentication.verified).toBe(false);
    expect(['temperror', 'none']).toContain(authentication.dmarc.status);
  });
});
