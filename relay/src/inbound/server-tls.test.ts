/** STARTTLS on the inbound port: offered only with a certificate, TLS 1.2 and up, recorded, replaceable. */
import tls from 'node:tls';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { buildMessage } from '../testing/messages.js';
import { startHarness, type Harness } from '../testing/relay-harness.js';
import { SmtpTestClient } from '../testing/smtp-client.js';
import { deliverOverStartTls, probeStartTls } from '../testing/starttls-client.js';
import { makeTestCertificate, type TestCertificate } from '../testing/test-certificate.js';
import { checkTlsCredentials } from './tls.js';

let harness: Harness | undefined;
afterEach(async () => {
  await harness?.close();
  harness = undefined;
});

let first: TestCertificate;
let second: TestCertificate;
beforeAll(async () => {
  [first, second] = await Promise.all([makeTestCertificate({ name: 'first' }), makeTestCertificate({ name: 'second' })]);
});

async function ehloKeywords(port: number): Promise<string[]> {
  const c = await SmtpTestClient.connect(port);
  const keywords = (await c.ehlo()).lines.map((line) => line.slice(4).split(' ')[0]!.toUpperCase());
  await c.quit();
  return keywords;
}

describe('STARTTLS', () => {
  it('is neither offered nor accepted without a certificate', async () => {
    harness = await startHarness();
    expect(await ehloKeywords(harness.port)).not.toContain('STARTTLS');
    const probe = await probeStartTls(harness.port);
    expect(probe).toMatchObject({ ok: false, stage: 'starttls' });
  });

  it('is offered with a certificate, serves it, and is not offered again inside TLS', async () => {
    harness = await startHarness({ overrides: { tls: { cert: first.cert, key: first.key } } });
    expect(await ehloKeywords(harness.port)).toContain('STARTTLS');
    const probe = await probeStartTls(harness.port);
    if (!probe.ok) throw new Error(`STARTTLS failed: ${probe.error}`);
    expect(probe.fingerprint256).toBe(first.fingerprint256);
    expect(probe.protocol).toBe('TLSv1.3');
    expect(probe.ehlo.join(' ')).not.toContain('STARTTLS');
  });

  it('delivers over STARTTLS and writes ESMTPS with the TLS version and cipher into Received', async () => {
    harness = await startHarness({ overrides: { tls: { cert: first.cert, key: first.key } } });
    const tls12 = { maxVersion: 'TLSv1.2', ciphers: 'ECDHE-ECDSA-AES128-GCM-SHA256' } as const;
    for (const [n, clientTls] of [[1, {}], [2, tls12]] as const) {
      const response = await deliverOverStartTls({
        port: harness.port,
        from: 'alice@example.com',
        to: ['bot@agents.test'],
        raw: buildMessage({ messageId: `tls-${n}@example.com` }),
        ca: first.cert,
        tls: clientTls,
      });
      expect(response).toMatch(/^250 /);
    }
    const [modern, older] = harness.sink.messages.map((m) => m.raw.toString('latin1'));
    expect(modern).toMatch(/^Received: from client\.example\.com \(\[127\.0\.0\.1\]\)\r\n\t\(using TLSv1\.3 with cipher TLS_AES_\d+_GCM_SHA\d+\)\r\n\tby mx\.agents\.test \(e2a\) with ESMTPS id /m);
    expect(older).toContain('\t(using TLSv1.2 with cipher ECDHE-ECDSA-AES128-GCM-SHA256)\r\n\tby mx.agents.test (e2a) with ESMTPS id ');
  });

  it('writes no TLS comment for a cleartext session on a server that offers TLS', async () => {
    harness = await startHarness({ overrides: { tls: { cert: first.cert, key: first.key } } });
    const c = await SmtpTestClient.connect(harness.port);
    await c.ehlo();
    expect((await c.send('alice@example.com', ['bot@agents.test'], buildMessage())).data?.code).toBe(250);
    await c.quit();
    const raw = harness.sink.messages[0]!.raw.toString('latin1');
    expect(raw).toContain('with ESMTP id ');
    expect(raw).not.toContain('(using ');
  });
});

describe('STARTTLS protocol floor (RFC 8996)', () => {
  // OpenSSL's default security level refuses TLS 1.0/1.1 by itself today. An operator's OpenSSL
  // configuration can lower it; this does the same for the process, so the refusal below comes
  // from the server's own floor and not from the library default.
  const defaultCiphers = tls.DEFAULT_CIPHERS;
  beforeAll(() => {
    tls.DEFAULT_CIPHERS = `${defaultCiphers}:@SECLEVEL=0`;
  });
  afterAll(() => {
    tls.DEFAULT_CIPHERS = defaultCiphers;
  });

  it('refuses TLS 1.0 and 1.1 clients and accepts TLS 1.2', async () => {
    harness = await startHarness({ overrides: { tls: { cert: first.cert, key: first.key } } });
    for (const version of ['TLSv1', 'TLSv1.1'] as const) {
      const probe = await probeStartTls(harness.port, { minVersion: version, maxVersion: version });
      expect(probe, version).toMatchObject({ ok: false, stage: 'handshake' });
      if (!probe.ok) expect(probe.error).toMatch(/protocol version|PROTOCOL_VERSION/i);
    }
    const modern = await probeStartTls(harness.port, { minVersion: 'TLSv1', maxVersion: 'TLSv1.2' });
    expect(modern).toMatchObject({ ok: true, protocol: 'TLSv1.2' });
  });
});

describe('updateTls', () => {
  it('serves a new certificate to new connections without a restart; a bad pair keeps the current one', async () => {
    harness = await startHarness({ overrides: { tls: { cert: first.cert, key: first.key } } });
    const fingerprint = async (): Promise<string> => {
      const probe = await probeStartTls(harness!.port);
      if (!probe.ok) throw new Error(`STARTTLS failed: ${probe.error}`);
      return probe.fingerprint256;
    };
    expect(await fingerprint()).toBe(first.fingerprint256);

    expect(harness.server.updateTls({ cert: second.cert, key: second.key })).toMatchObject({ ok: true, certificate: { fingerprint256: second.fingerprint256 } });
    expect(await fingerprint()).toBe(second.fingerprint256);

    expect(harness.server.updateTls({ cert: first.cert, key: second.key })).toMatchObject({ ok: false, fault: 'key' });
    expect(harness.server.updateTls({ cert: Buffer.from('not a certificate'), key: second.key })).toMatchObject({ ok: false, fault: 'cert' });
    expect(await fingerprint()).toBe(second.fingerprint256);
  });
});

describe('checkTlsCredentials', () => {
  it('names the certificate or the key as the fault', () => {
    expect(checkTlsCredentials({ cert: first.cert, key: first.key })).toMatchObject({ ok: true, certificate: { fingerprint256: first.fingerprint256 } });
    expect(checkTlsCredentials({ cert: first.key, key: first.key })).toMatchObject({ ok: false, fault: 'cert', reason: /not a PEM certificate/ });
    expect(checkTlsCredentials({ cert: first.cert, key: first.cert })).toMatchObject({ ok: false, fault: 'key', reason: /not an unencrypted PEM private key/ });
    expect(checkTlsCredentials({ cert: first.cert, key: second.key })).toMatchObject({ ok: false, fault: 'key', reason: /does not match the certificate for CN=mx\.agents\.test/ });
  });
});
