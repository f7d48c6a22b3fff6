/**
 * STARTTLS on the inbound port (RFC 3207): the TLS options smtp-server is given, the check a
 * certificate and key pass before they are put into service, and what each session's handshake
 * negotiated (for the Received line and the logs).
 */
import { createPrivateKey, X509Certificate } from 'node:crypto';
import type { Socket } from 'node:net';
import { createSecureContext, TLSSocket } from 'node:tls';
import type { SMTPServerSession } from 'smtp-server';

/** PEM bytes: the certificate chain (leaf first, as certbot's fullchain.pem) and its private key. */
export interface TlsCredentials {
  cert: Buffer;
  key: Buffer;
}

/**
 * RFC 8996 deprecates TLS 1.0 and 1.1. smtp-server's own floor is TLSv1 ("very old clients");
 * today OpenSSL's default security level happens to refuse them too, but an OpenSSL configuration
 * that lowers it would quietly bring them back, so the floor is set here explicitly.
 */
export const MIN_TLS_VERSION = 'TLSv1.2';

/** Options for smtp-server's constructor and updateSecureContext(). */
export function tlsServerOptions(credentials: TlsCredentials): { cert: Buffer; key: Buffer; minVersion: typeof MIN_TLS_VERSION } {
  return { cert: credentials.cert, key: credentials.key, minVersion: MIN_TLS_VERSION };
}

export interface CertificateSummary {
  subject: string;
  /** SHA-256 fingerprint of the leaf, colon-separated hex (as `openssl x509 -fingerprint -sha256`). */
  fingerprint256: string;
  validTo: Date;
}

/** Which of the two inputs is at fault, so the caller can name its config key. */
export type TlsCheck = { ok: true; certificate: CertificateSummary } | { ok: false; fault: 'cert' | 'key'; reason: string };

/**
 * Checks credentials before use. smtp-server's updateSecureContext() replaces its context before it
 * builds the new one, so a bad pair handed to it would leave the server with no certificate at all.
 */
export function checkTlsCredentials(credentials: TlsCredentials): TlsCheck {
  let leaf: X509Certificate;
  try {
    leaf = new X509Certificate(credentials.cert);
  } catch (err) {
    return { ok: false, fault: 'cert', reason: `not a PEM certificate (${firstLine(err)})` };
  }
  let key;
  try {
    key = createPrivateKey(credentials.key);
  } catch (err) {
    return { ok: false, fault: 'key', reason: `not an unencrypted PEM private key (${firstLine(err)})` };
  }
  if (!leaf.checkPrivateKey(key)) {
    return { ok: false, fault: 'key', reason: `the private key does not match the certificate for ${leaf.subject.replace(/\n/g, ', ')}` };
  }
  try {
    createSecureContext(tlsServerOptions(credentials));
  } catch (err) {
    return { ok: false, fault: 'cert', reason: `TLS refuses this certificate chain (${firstLine(err)})` };
  }
  return { ok: true, certificate: { subject: leaf.subject.replace(/\n/g, ', '), fingerprint256: leaf.fingerprint256, validTo: leaf.validToDate } };
}

/** The protocol version and cipher a session's handshake settled on. */
export interface NegotiatedTls {
  /** `TLSv1.3`, `TLSv1.2` (tls.TLSSocket#getProtocol). */
  version: string;
  /** OpenSSL's name for the cipher suite, as Postfix writes it: `TLS_AES_256_GCM_SHA384`. */
  cipher: string;
}

/**
 * What each session negotiated, filled from smtp-server's onSecure hook. smtp-server keeps one
 * session object per connection, so a WeakMap forgets a session with its connection.
 */
export class TlsSessions {
  private readonly negotiated = new WeakMap<SMTPServerSession, NegotiatedTls>();

  record(socket: Socket, session: SMTPServerSession): void {
    if (!(socket instanceof TLSSocket)) return;
    this.negotiated.set(session, { version: socket.getProtocol() ?? 'unknown', cipher: socket.getCipher()?.name ?? 'unknown' });
  }

  /** Undefined for a session that never completed STARTTLS. */
  of(session: SMTPServerSession): NegotiatedTls | undefined {
    return this.negotiated.get(session);
  }
}

function firstLine(err: unknown): string {
  return (err instanceof Error ? err.message : String(err)).split('\n')[0]!;
}
