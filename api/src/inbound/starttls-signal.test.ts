/** STARTTLS as an operator meets it: e2a-server started with certificate files, SIGHUP to reload. */
import { mkdtempSync } from 'node:fs';
import { copyFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { makeTestCertificate, probeStartTls, type TestCertificate } from '@e2a/relay/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runServer, startServer } from '../testing/server-process.js';
import { until } from '../testing/until.js';

let first: TestCertificate;
let second: TestCertificate;
const dirs: string[] = [];
function tempDir(prefix: string): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  dirs.push(dir);
  return dir;
}
beforeAll(async () => {
  [first, second] = await Promise.all([makeTestCertificate({ name: 'first' }), makeTestCertificate({ name: 'second' })]);
  dirs.push(dirname(first.certFile), dirname(second.certFile));
});
afterAll(async () => {
  for (const dir of dirs) await rm(dir, { recursive: true, force: true });
});

async function servedFingerprint(port: number): Promise<string> {
  const probe = await probeStartTls(port);
  if (!probe.ok) throw new Error(`STARTTLS failed at ${probe.stage}: ${probe.error}`);
  return probe.fingerprint256;
}

describe('e2a-server with STARTTLS', () => {
  it('exits 2 with one line naming smtp.tls_key_file when the key does not match the certificate', async () => {
    const result = await runServer(['serve'], {
      E2A_DATA_DIR: tempDir('e2a-tls-data-'),
      E2A_SMTP_TLS_CERT_FILE: first.certFile,
      E2A_SMTP_TLS_KEY_FILE: second.keyFile,
    });
    expect(result.code).toBe(2);
    expect(result.stderr.trim().split('\n')).toHaveLength(1);
    expect(result.stderr).toContain('config: smtp.tls_key_file (env E2A_SMTP_TLS_KEY_FILE):');
    expect(result.stderr).toContain('does not match the certificate');
  });

  it('re-reads the certificate on SIGHUP and keeps serving the old one when the new one does not load', async () => {
    const dir = tempDir('e2a-tls-live-');
    const certFile = join(dir, 'mx.crt');
    const keyFile = join(dir, 'mx.key');
    await copyFile(first.certFile, certFile);
    await copyFile(first.keyFile, keyFile);
    const server = await startServer({
      E2A_DATA_DIR: tempDir('e2a-tls-data-'),
      E2A_SMTP_TLS_CERT_FILE: certFile,
      E2A_SMTP_TLS_KEY_FILE: keyFile,
      // Files are not watched: only the signal can make the change.
      E2A_SMTP_TLS_WATCH_INTERVAL_MS: '0',
    });
    try {
      expect(await servedFingerprint(server.smtpPort)).toBe(first.fingerprint256);
      await copyFile(second.certFile, certFile);
      await copyFile(second.keyFile, keyFile);
      server.child.kill('SIGHUP');
      await until('the certificate to be reloaded on SIGHUP', async () => (await servedFingerprint(server.smtpPort)) === second.fingerprint256);
      expect(server.output()).toMatch(/"trigger":"SIGHUP".*"msg":"STARTTLS certificate reloaded"/);

      await writeFile(keyFile, 'not a key');
      server.child.kill('SIGHUP');
      await until('the failed reload to be logged', () => server.output().includes('STARTTLS certificate not reloaded'));
      expect(server.output()).toContain('"key":"smtp.tls_key_file"');
      expect(await servedFingerprint(server.smtpPort)).toBe(second.fingerprint256);
      expect(server.child.exitCode).toBeNull();
    } finally {
      server.child.kill('SIGTERM');
      expect((await server.exited).code).toBe(0);
    }
  });
});
