/**
 * Contact verification codes (docs/CONTACTS.md): 8 characters from an alphabet without look-alikes
 * (no 0/O, 1/I/L, U), about 39 bits, drawn with crypto.randomInt. Stored only as a sha256; with at
 * most MAX_CODE_ATTEMPTS guesses per request before it dies, guessing is hopeless.
 */
import { randomInt, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../ids.js';

const ALPHABET = 'ABCDEFGHJKMNPQRSTVWXYZ23456789';
const LENGTH = 8;

/** Wrong codes a request survives; the next wrong one kills it (state `failed`). */
export const MAX_CODE_ATTEMPTS = 5;

/** A new code, shown once as XXXX-XXXX (the dash, spaces and case do not matter when it comes back). */
export function newContactCode(): string {
  let code = '';
  for (let i = 0; i < LENGTH; i++) code += ALPHABET[randomInt(ALPHABET.length)];
  return `${code.slice(0, 4)}-${code.slice(4)}`;
}

/** What is stored: the hash of the code as typed back, without dashes, spaces or case. */
export function hashContactCode(code: string): string {
  return sha256Hex(code.replace(/[\s-]/g, '').toUpperCase());
}

export function contactCodeMatches(code: string, storedHash: string): boolean {
  const given = Buffer.from(hashContactCode(code), 'hex');
  const stored = Buffer.from(storedHash, 'hex');
  return given.length === stored.length && timingSafeEqual(given, stored);
}
