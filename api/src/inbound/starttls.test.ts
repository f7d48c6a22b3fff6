/**
 * STARTTLS on the gateway's inbound port: configured by smtp.tls_cert_file / smtp.tls_key_file,
 * recorded in the stored Received line, and replaced without a restart.
 */
import { mkdir, mkdtemp, readdir, rename, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { buildMessage, createFakeResolver, deliverOverStartTls, makeTestCertificate, probeStartTls, SmtpTestClient, type TestCertificate } from '@e2a/relay/testing';
import { pino } from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../config.js';
import { createGateway } from '../gateway.js';
import { ENGINES, openTestDatabase } from '../testing/databases.js';
import { startTestGateway, TEST_DOMAIN, type TestGateway } from '../testing/gateway.js';
import { until } from '../testing/until.js';

const bot = `bot@${TEST_DOMAIN}`;

function tlsEnv(cert: TestCertificate, watchIntervalMs: number): Record<string, string> {
  return { E2A_SMTP_TLS_CERT_FILE: cert.certFile, E2A_SMTP_TLS_KEY_FILE: cert.keyFile, E2A_SMTP_TLS_WATCH_INTERVAL_MS: String(watchIntervalMs) };
}

async function ehloKeywords(port: number): Promise<string[]> {
  const c = await SmtpTestClient.connect(port);
  const keywords = (await c.ehlo()).lines.map((line) => line.slice(4).split(' ')[0]!.toUpperCase());
  await c.quit();
  return keywords;
}

/** The SHA-256 fingerprint of the certificate a new STARTTLS session is served. */
async function servedFingerprint(port: number): Promise<string> {
  const probe = await probeStartTls(port);
  if (!probe.ok) throw new Error(`STARTTLS failed at ${probe.stage}: ${probe.error}`);
  return probe.fingerprint256;
}

let first: TestCertificate;
let second: TestCertificate;
beforeAll(async () => {
  [first, second] = await Promise.all([makeTestCertificate({ name: 'first' }), makeTestCertificate({ name: 'second' })]);
});
afterAll(async () => {
  for (const cert of [first, second]) if (cert) await rm(dirname(cert.certFile), { recursive: true, force: true });
});

describe.each(ENGINES)('STARTTLS delivery (%s)', (engine) => {
  let gw: TestGateway;
  beforeAll(async () => {
    gw = await startTestGateway({ engine, resolver: createFakeResolver({}), env: tlsEnv(first, 0) });
    expect((await gw.api('/v1/agents', { method: 'POST', body: JSON.stringify({ local_part: 'bot' }) })).status).toBe(201);
  });
  afterAll(async () => {
    await gw?.close();
  });

  it('offers STARTTLS and serves the configured certificate', async () => {
    expect(await ehloKeywords(gw.gateway.smtpPort)).toContain('STARTTLS');
    expect(await servedFingerprint(gw.gateway.smtpPort)).toBe(first.fingerprint256);
  });

  it('takes mail from a client that requires TLS and stores the TLS version and cipher in Received', async () => {
    const response = await deliverOverStartTls({
      port: gw.gateway.smtpPort,
      from: 'alice@example.com',
      to: [bot],
      raw: buildMessage({ to: bot, messageId: `starttls-${engine}@example.com` }),
      ca: first.cert,
    });
    expect(response).toMatch(/^250 /);
    const { items } = await (await gw.api(`/v1/agents/${bot}/messages`)).json();
    const raw = await (await gw.api(`/v1/agents/${bot}/messages/${items[0].id}/raw`)).text();
    expect(raw).toMatch(
      /\r\nReceived: from client\.example\.com \(\[127\.0\.0\.1\]\)\r\n\t\(using TLSv1\.3 with cipher TLS_[A-Z0-9_]+\)\r\n\tby mx\.agents\.test \(e2a\) with ESMTPS id /,
    );
  });
});

describe('STARTTLS configuration', () => {
  it('is not offered without smtp.tls_cert_file and smtp.tls_key_file', async () => {
    const plain = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}) });
    try {
      expect(await ehloKeywords(plain.gateway.smtpPort)).not.toContain('STARTTLS');
      expect(await probeStartTls(plain.gateway.smtpPort)).toMatchObject({ ok: false, stage: 'starttls' });
      expect(await plain.gateway.reloadTls()).toEqual({ status: 'off' });
    } finally {
      await plain.close();
    }
  });

  it('refuses to start on an unreadable file or a key that does not match, naming the key', async () => {
    const cases: Array<[Record<string, string>, RegExp]> = [
      [{ E2A_SMTP_TLS_CERT_FILE: join(first.certFile, '..', 'absent.crt'), E2A_SMTP_TLS_KEY_FILE: first.keyFile }, /^config: smtp\.tls_cert_file \(env E2A_SMTP_TLS_CERT_FILE\): cannot read .*absent\.crt: ENOENT$/],
      [{ E2A_SMTP_TLS_CERT_FILE: first.certFile, E2A_SMTP_TLS_KEY_FILE: second.keyFile }, /^config: smtp\.tls_key_file \(env E2A_SMTP_TLS_KEY_FILE\): .*second\.key: the private key does not match the certificate/],
      [{ E2A_SMTP_TLS_CERT_FILE: first.keyFile, E2A_SMTP_TLS_KEY_FILE: first.keyFile }, /^config: smtp\.tls_cert_file \(env E2A_SMTP_TLS_CERT_FILE\): .*not a PEM certificate/],
    ];
    // The files are read before the database opens, so none is needed to see the refusal.
    const dataDir = await mkdtemp(join(tmpdir(), 'e2a-tls-data-'));
    try {
      for (const [env, message] of cases) {
        const config = loadConfig({
          env: { E2A_ENV: 'test', E2A_DATA_DIR: dataDir, E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0', E2A_SMTP_LISTEN_ADDR: '127.0.0.1:0', ...env },
        });
        const started = createGateway({ config, logger: pino({ level: 'silent' }), resolver: createFakeResolver({}) });
        await expect(started).rejects.toBeInstanceOf(ConfigError);
        await expect(started).rejects.toThrow(message);
      }
      // Nothing was created there but the pid lock, and that was released.
      expect(await readdir(dataDir)).toEqual([]);
    } finally {
      await rm(dataDir, { recursive: true, force: true });
    }
  });
});

describe('STARTTLS certificate replacement', () => {
  it('serves a certificate renamed into place to new connections, without a restart', async () => {
    const dir = join(first.certFile, '..', 'renamed');
    await mkdir(dir);
    const live = { certFile: join(dir, 'mx.crt'), keyFile: join(dir, 'mx.key') };
    await writeFile(live.certFile, first.cert);
    await writeFile(live.keyFile, first.key);
    const gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}), env: tlsEnv({ ...first, ...live }, 100) });
    try {
      expect(await servedFingerprint(gw.gateway.smtpPort)).toBe(first.fingerprint256);
      // What most tools do: write beside the file, then rename over it (atomic on one filesystem).
      await writeFile(`${live.keyFile}.tmp`, second.key);
      await writeFile(`${live.certFile}.tmp`, second.cert);
      await rename(`${live.keyFile}.tmp`, live.keyFile);
      await rename(`${live.certFile}.tmp`, live.certFile);
      await until('the renamed certificate to be served', async () => (await servedFingerprint(gw.gateway.smtpPort)) === second.fingerprint256);
    } finally {
      await gw.close();
    }
  });

  it('follows a certbot-style symlink swap', async () => {
    const root = join(first.certFile, '..', 'letsencrypt');
    await mkdir(join(root, 'archive'), { recursive: true });
    await mkdir(join(root, 'live'));
    for (const [n, cert] of [[1, first], [2, second]] as const) {
      await writeFile(join(root, 'archive', `fullchain${n}.pem`), cert.cert);
      await writeFile(join(root, 'archive', `privkey${n}.pem`), cert.key);
    }
    const live = { certFile: join(root, 'live', 'fullchain.pem'), keyFile: join(root, 'live', 'privkey.pem') };
    await symlink('../archive/fullchain1.pem', live.certFile);
    await symlink('../archive/privkey1.pem', live.keyFile);
    const gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}), env: tlsEnv({ ...first, ...live }, 100) });
    try {
      expect(await servedFingerprint(gw.gateway.smtpPort)).toBe(first.fingerprint256);
      // certbot writes new archive files, then points each live/ link at them by renaming a new link over it.
      await symlink('../archive/privkey2.pem', `${live.keyFile}.new`);
      await rename(`${live.keyFile}.new`, live.keyFile);
      await symlink('../archive/fullchain2.pem', `${live.certFile}.new`);
      await rename(`${live.certFile}.new`, live.certFile);
      await until('the swapped-in certificate to be served', async () => (await servedFingerprint(gw.gateway.smtpPort)) === second.fingerprint256);
    } finally {
      await gw.close();
    }
  });

  it('keeps the current certificate when a replacement does not load, logs a warning, and takes the next good one', async () => {
    const dir = join(first.certFile, '..', 'broken');
    await mkdir(dir);
    const live = { certFile: join(dir, 'mx.crt'), keyFile: join(dir, 'mx.key') };
    await writeFile(live.certFile, first.cert);
    await writeFile(live.keyFile, first.key);
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
    const db = await openTestDatabase('pglite');
    const config = loadConfig({
      env: { E2A_ENV: 'test', E2A_HTTP_LISTEN_ADDR: '127.0.0.1:0', E2A_SMTP_LISTEN_ADDR: '127.0.0.1:0', ...tlsEnv({ ...first, ...live }, 100) },
    });
    const gateway = await createGateway({ config, logger, database: db.handle, resolver: createFakeResolver({}) });
    try {
      await writeFile(`${live.certFile}.tmp`, 'not a certificate');
      await rename(`${live.certFile}.tmp`, live.certFile);
      const warning = await until('the failed reload to be logged', () =>
        lines.map((line) => JSON.parse(line) as { level: number; msg: string; key?: string }).find((entry) => entry.msg.startsWith('STARTTLS certificate not reloaded')),
      );
      expect(warning).toMatchObject({ level: 40, key: 'smtp.tls_cert_file' });
      expect(await servedFingerprint(gateway.smtpPort)).toBe(first.fingerprint256);

      await writeFile(`${live.keyFile}.tmp`, second.key);
      await writeFile(`${live.certFile}.tmp`, second.cert);
      await rename(`${live.keyFile}.tmp`, live.keyFile);
      await rename(`${live.certFile}.tmp`, live.certFile);
      await until('the next good pair to be served', async () => (await servedFingerprint(gateway.smtpPort)) === second.fingerprint256);
    } finally {
      await gateway.stop();
      await db.drop();
    }
  });

  it('reloadTls() serves the new pair; a pair that does not load keeps the current one', async () => {
    const dir = join(first.certFile, '..', 'by-call');
    await mkdir(dir);
    const live = { certFile: join(dir, 'mx.crt'), keyFile: join(dir, 'mx.key') };
    await writeFile(live.certFile, first.cert);
    await writeFile(live.keyFile, first.key);
    // Not watched: only the call can make the change.
    const gw = await startTestGateway({ engine: 'pglite', resolver: createFakeResolver({}), env: tlsEnv({ ...first, ...live }, 0) });
    try {
      await writeFile(live.certFile, second.cert);
      await writeFile(live.keyFile, second.key);
      expect(await servedFingerprint(gw.gateway.smtpPort)).toBe(first.fingerprint256);
      expect(await gw.gateway.reloadTls()).toMatchObject({ status: 'reloaded', certificate: { fingerprint256: second.fingerprint256 } });
      expect(await servedFingerprint(gw.gateway.smtpPort)).toBe(second.fingerprint256);

      // A renewed certificate whose key has not been written yet.
      await writeFile(live.certFile, first.cert);
      expect(await gw.gateway.reloadTls()).toMatchObject({ status: 'failed', key: 'smtp.tls_key_file', reason: /does not match/ });
      expect(await servedFingerprint(gw.gateway.smtpPort)).toBe(second.fingerprint256);
      await writeFile(live.certFile, 'garbage');
      expect(await gw.gateway.reloadTls()).toMatchObject({ status: 'failed', key: 'smtp.tls_cert_file' });
      expect(await servedFingerprint(gw.gateway.smtpPort)).toBe(second.fingerprint256);
    } finally {
      await gw.close();
    }
  });
});
