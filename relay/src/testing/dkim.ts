/** DKIM keys made in the test and messages signed with them (RFC 6376), for the fake zone. */
import { generateKeyPairSync } from 'node:crypto';
import { dkimSign } from 'mailauth';
import { dkimRecordName, dkimRecordValue } from '../outbound/dkim.js';

export interface DkimKey {
  domain: string;
  selector: string;
  /** PKCS#8 PEM. */
  privateKey: string;
  /** Where the key record lives: `<selector>._domainkey.<domain>`. */
  dnsName: string;
  /** The TXT record: `v=DKIM1; k=rsa; p=…`. */
  txt: string;
}

/** 1024 bits keeps tests fast and is mailauth's minimum (minBitLength); production keys are 2048. */
export function generateDkimKey(domain: string, selector = 'test', bits = 1024): DkimKey {
  const { publicKey, privateKey } = generateKeyPairSync('rsa', {
    modulusLength: bits,
    publicKeyEncoding: { type: 'spki', format: 'der' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  return {
    domain,
    selector,
    privateKey,
    dnsName: dkimRecordName(selector, domain),
    txt: dkimRecordValue(publicKey.toString('base64')),
  };
}

/** Returns the message with a DKIM-Signature field prepended. Throws if mailauth could not sign. */
export async function signMessage(raw: Buffer, key: DkimKey): Promise<Buffer> {
  const result = await dkimSign(raw, {
    signatureData: [{ signingDomain: key.domain, selector: key.selector, privateKey: key.privateKey }],
  } as Parameters<typeof dkimSign>[1]);
  if (result.errors?.length) throw new Error(`DKIM signing failed: ${JSON.stringify(result.errors)}`);
  return Buffer.concat([Buffer.from(result.signatures, 'latin1'), raw]);
}
