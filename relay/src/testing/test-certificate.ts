/**
 * Self-signed certificates for STARTTLS tests, made fresh by the openssl command line (Debian's
 * PostgreSQL packages, which .ci/run installs, depend on it through ssl-cert, as ca-certificates
 * does). Made per run rather than committed: a committed certificate expires under the tests one
 * day, and a committed private key is one more key for secret scanners to flag. An EC P-256 key
 * takes milliseconds.
 */
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

const run = promisify(execFile);

export interface TestCertificate {
  certFile: string;
  keyFile: string;
  cert: Buffer;
  key: Buffer;
  /** As tls.PeerCertificate#fingerprint256 reports it. */
  fingerprint256: string;
}

/**
 * A certificate for `mx.agents.test` and 127.0.0.1, valid for a week, written as `<name>.crt` and
 * `<name>.key` into `dir` (a new temp dir by default). Being self-signed, it is its own CA: a client
 * trusts it with `ca: cert`.
 */
export async function makeTestCertificate(options: { dir?: string; name?: string; commonName?: string } = {}): Promise<TestCertificate> {
  const dir = options.dir ?? (await mkdtemp(join(tmpdir(), 'e2a-tls-')));
  const name = options.name ?? 'server';
  const cn = options.commonName ?? 'mx.agents.test';
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  await run('openssl', [
    'req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', keyFile, '-out', certFile, '-days', '7', '-subj', `/CN=${cn}`,
    '-addext', `subjectAltName=DNS:${cn},IP:127.0.0.1`,
  ]);
  const [cert, key] = await Promise.all([readFile(certFile), readFile(keyFile)]);
  return { certFile, keyFile, cert, key, fingerprint256: new X509Certificate(cert).fingerprint256 };
}
