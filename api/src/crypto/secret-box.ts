/**
 * Encryption at rest for bodies, raw messages, attachments and secrets: AES-256-GCM with a random
 * 96-bit nonce per value (NIST SP 800-38D). Layout: version(1) | nonce(12) | ciphertext | tag(16).
 * The key is storage.encryption_key, never the HMAC signing secret.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
    this.#key = key;
  }

  seal(plain: Buffer | string): Buffer {
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    const body = cipher.update(typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain);
    const final = cipher.final();
    return Buffer.concat([Buffer.from([VERSION]), nonce, body, final, cipher.getAuthTag()]);
  }

  open(sealed: Uint8Array): Buffer {
    const data = Buffer.isBuffer(sealed) ? sealed : Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (data.length < 1 + NONCE_BYTES + TAG_BYTES || data[0] !== VERSION) {
      throw new Error('stored value is not a sealed box of a known version');
    }
    const nonce = data.subarray(1, 1 + NONCE_BYTES);
    const tag = data.subarray(data.length - TAG_BYTES);
    const decipher = createDecipheriv('aes-256-gcm', this.#key, nonce);
    decipher.setAuthTag(tag);
    return Buffer.concat([decipher.update(data.subarray(1 + NONCE_BYTES, data.length - TAG_BYTES)), decipher.final()]);
  }

  openText(sealed: Uint8Array | null): string | null {
    return sealed === null ? null : this.open(sealed).toString('utf8');
  }
}
