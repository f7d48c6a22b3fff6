/**
 * Web Crypto helpers for every runtime the SDK supports. `#crypto` (sdk-ts/package.json "imports")
 * is the global in browsers and edge runtimes and `node:crypto`.webcrypto on Node, where Node 18 has
 * no global; so this module, and the verification code built on it, imports nothing from `node:`.
 */
import { webCrypto } from '#crypto';

export async function subtle(): Promise<SubtleCrypto> {
  return webCrypto.subtle;
}

export async function hmacKey(secret: Uint8Array | string, usage: 'sign' | 'verify'): Promise<CryptoKey> {
  const raw = typeof secret === 'string' ? new TextEncoder().encode(secret) : secret;
  return (await subtle()).importKey('raw', raw as BufferSource, { name: 'HMAC', hash: 'SHA-256' }, false, [usage]);
}

export function toHex(bytes: ArrayBuffer | Uint8Array): string {
  const view = bytes instanceof Uint8Array ? bytes : new Uint8Array(bytes);
  let out = '';
  for (const b of view) out += b.toString(16).padStart(2, '0');
  return out;
}

export function randomBytes(byteCount: number): Uint8Array {
  return webCrypto.getRandomValues(new Uint8Array(byteCount));
}

/** `byteCount` random bytes as hex: nonces and generated idempotency keys. */
export function randomHex(byteCount: number): string {
  return toHex(randomBytes(byteCount));
}

export function fromHex(hex: string): Uint8Array | null {
  if (hex.length % 2 !== 0 || !/^[0-9a-fA-F]*$/.test(hex)) return null;
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(hex.slice(i * 2, i * 2 + 2), 16);
  return out;
}

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
  return toHex(await (await subtle()).digest('SHA-256', bytes as BufferSource));
}
