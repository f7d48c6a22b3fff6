/**
 * DKIM (RFC 6376) for mail the gateway sends: key generation (RSA-2048, RFC 8301 §3.2 requires at
 * least 1024 and recommends 2048), the TXT record to publish, and signing with mailauth, the same
 * library that verifies inbound mail, so what we sign is what verifiers check.
 */
import { generateKeyPair as generateKeyPairCb } from 'node:crypto';
import { promisify } from 'node:util';
import { dkimSign } from 'mailauth';

const generateKeyPair = promisify(generateKeyPairCb);

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

/** The message with a DKIM-Signature field prepended (relaxed/relaxed, rsa-sha256). */
export async function signDkim(raw: Buffer, signer: DkimSigner): Promise<Buffer> {
  const result = await dkimSign(raw, {
    canonicalization: 'relaxed/relaxed',
    algorithm: 'rsa-sha256',
    signatureData: [{ signingDomain: signer.domain, selector: signer.selector, privateKey: signer.privateKeyPem }],
  } as Parameters<typeof dkimSign>[1]);
  if (result.errors?.length) throw new Error(`DKIM signing for ${signer.domain} failed: ${JSON.stringify(result.errors)}`);
  return Buffer.concat([Buffer.from(result.signatures, 'latin1'), raw]);
}
