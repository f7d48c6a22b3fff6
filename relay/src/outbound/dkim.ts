/**
 * DKIM (RFC 6376) for mail the gateway sends: key generation (RSA-2048, RFC 8301 §3.2 requires at
 * least 1024 and recommends 2048), the TXT record to publish, and signing.
 *
 * Signing uses mailauth's own canonicalisation (the library that verifies inbound mail, so what we
 * sign is what verifiers check) but makes the RSA signature itself with the callback form of
 * `crypto.sign`, which runs on libuv's thread pool. mailauth's `dkimSign` signs synchronously: the
 * 2048-bit private-key operation held the gateway's event loop for 0.3–0.7 ms per message, the
 * largest single cost of an outbound send. mailauth has no asynchronous signer and no hook for one,
 * so this module assembles the same steps as its `DkimSigner.finalize` from its exported parts; a
 * test checks the result is byte-for-byte what `dkimSign` produces (RSA PKCS#1 v1.5 signatures are
 * deterministic), which guards the pinned mailauth version's internals on upgrade.
 */
import { createPrivateKey, generateKeyPair as generateKeyPairCb, sign as signCb, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';

const generateKeyPair = promisify(generateKeyPairCb);
const rsaSign = promisify(signCb);

export interface DkimKeyPair {
  /** PKCS#8 PEM. */
  privateKeyPem: string;
  /** Base64 of the DER SubjectPublicKeyInfo: the `p=` tag. */
  publicKey: string;
}

export async function generateDkimKeyPair(bits = 2048): Promise<DkimKeyPair> {
  const { publicKey, privateKey } = await generateKeyPair('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return { privateKeyPem: privateKey, publicKey: Buffer.from(publicKey).toString('base64') };
}

/** RFC 6376 §3.6.2.2: the key lives at `<selector>._domainkey.<domain>`. */
export function dkimRecordName(selector: string, domain: string): string {
  return `${selector}._domainkey.${domain}`;
}

export function dkimRecordValue(publicKey: string): string {
  return `v=DKIM1; k=rsa; p=${publicKey}`;
}

export interface DkimSigner {
  domain: string;
  selector: string;
  privateKeyPem: string;
}

// ---- mailauth's canonicalisation (pinned version; see the module comment) ----

interface ParsedHeader {
  key: string | null;
  casedKey: string | undefined;
  line: Buffer;
}
interface SigningHeaderLines {
  keys: string;
  headers: ParsedHeader[];
}
type SignatureTags = Record<string, string | number | null>;

const require = createRequire(import.meta.url);
const tools = require('mailauth/lib/tools') as {
  parseHeaders(buf: Buffer): { parsed: ParsedHeader[] };
  getSigningHeaderLines(parsed: ParsedHeader[], fieldNames?: string): SigningHeaderLines;
  formatSignatureHeaderLine(type: 'DKIM', values: SignatureTags, folded: boolean): string;
};
const { generateCanonicalizedHeader } = require('mailauth/lib/dkim/header') as {
  generateCanonicalizedHeader(
    type: 'DKIM',
    lines: SigningHeaderLines,
    options: { signingDomain: string; selector: string; algorithm: string; canonicalization: string; bodyHash: string; timestamp: number; expiration: false },
  ): { canonicalizedHeader: Buffer; dkimHeaderOpts: SignatureTags };
};
const { dkimBody } = require('mailauth/lib/dkim/body') as {
  dkimBody(canonicalization: string, algorithm: string, maxBodyLength: false): { update(chunk: Buffer): void; digest(encoding: 'base64'): string };
};

const CANONICALIZATION = 'relaxed/relaxed';
const ALGORITHM = 'rsa-sha256';

/** Parsed keys by PEM: parsing costs about as much as a tenth of a signature. */
const keys = new Map<string, KeyObject>();
function privateKey(pem: string): KeyObject {
  let key = keys.get(pem);
  if (!key) {
    key = createPrivateKey({ key: pem, format: 'pem' });
    if (key.asymmetricKeyType !== 'rsa') throw new Error(`DKIM key must be RSA, not ${key.asymmetricKeyType}`);
    if (keys.size >= 1000) keys.clear();
    keys.set(pem, key);
  }
  return key;
}

/** Bare LF → CRLF, as mailauth's message parser reads input before canonicalising it. */
function withCrlf(raw: Buffer): Buffer {
  if (!raw.includes(0x0a)) return raw;
  let bare = false;
  for (let i = raw.indexOf(0x0a); i !== -1; i = raw.indexOf(0x0a, i + 1)) {
    if (i === 0 || raw[i - 1] !== 0x0d) {
      bare = true;
      break;
    }
  }
  return bare ? Buffer.from(raw.toString('latin1').replace(/\r?\n/g, '\r\n'), 'latin1') : raw;
}

/**
 * The message with a DKIM-Signature field prepended (relaxed/relaxed, rsa-sha256, mailauth's
 * default list of signed fields, t= now). Line endings are normalised to CRLF first.
 */
export async function signDkim(input: Buffer, signer: DkimSigner, now: Date = new Date()): Promise<Buffer> {
  const raw = withCrlf(input);
  const blank = raw.indexOf('\r\n\r\n');
  const headerEnd = blank === -1 ? raw.length : blank + 4;
  const lines = tools.getSigningHeaderLines(tools.parseHeaders(raw.subarray(0, headerEnd)).parsed);
  // RFC 6376 §5.4: From MUST be signed; a signature without it fails at every verifier.
  if (!lines.headers.some((h) => h.key === 'from')) throw new Error(`DKIM signing for ${signer.domain} failed: the message has no From header`);

  const body = dkimBody(CANONICALIZATION, ALGORITHM, false);
  body.update(raw.subarray(headerEnd));
  const { canonicalizedHeader, dkimHeaderOpts } = generateCanonicalizedHeader('DKIM', lines, {
    signingDomain: signer.domain,
    selector: signer.selector,
    algorithm: ALGORITHM,
    canonicalization: CANONICALIZATION,
    bodyHash: body.digest('base64'),
    timestamp: Math.floor(now.getTime() / 1000),
    expiration: false,
  });
  const signature = await rsaSign('sha256', canonicalizedHeader, privateKey(signer.privateKeyPem));
  const field = tools.formatSignatureHeaderLine('DKIM', { ...dkimHeaderOpts, b: signature.toString('base64') }, true);
  return Buffer.concat([Buffer.from(`${field}\r\n`, 'latin1'), raw]);
}
