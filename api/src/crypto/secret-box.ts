/**
 * Encryption at rest for bodies, raw messages, attachments and secrets: AES-256-GCM with a random
 * 96-bit nonce per value (NIST SP 800-38D). Layout: version(1) | nonce(12) | ciphertext | tag(16).
 * The key is storage.encryption_key, never the HMAC signing secret.
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';

const VERSION = 1;
const NONCE_BYTES = 12;
const TAG_BYTES = 16;
/** Plaintext encrypted per update() call when sealing: the largest transient buffer a seal makes. */
const SEAL_SLICE = 256 * 1024;

export class SecretBox {
  readonly #key: Buffer;

  constructor(key: Buffer) {
    if (key.length !== 32) throw new Error('SecretBox needs a 32-byte key');
    this.#key = key;
  }

  seal(plain: Buffer | string): Buffer {
    const bytes = typeof plain === 'string' ? Buffer.from(plain, 'utf8') : plain;
    const nonce = randomBytes(NONCE_BYTES);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    // Written into its final place a slice at a time: update() of the whole value and a concat
    // behind it held the ciphertext twice, 50 MiB at once for a 25 MiB message.
    const sealed = Buffer.allocUnsafe(1 + NONCE_BYTES + bytes.length + TAG_BYTES);
    sealed[0] = VERSION;
    let at = 1 + nonce.copy(sealed, 1);
    for (let from = 0; from < bytes.length; from += SEAL_SLICE) at += cipher.update(bytes.subarray(from, from + SEAL_SLICE)).copy(sealed, at);
    at += cipher.final().copy(sealed, at);
    cipher.getAuthTag().copy(sealed, at);
    return sealed;
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
