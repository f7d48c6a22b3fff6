/**
 * The signed X-E2A-Auth-* claims (DESIGN §5): the gateway's statement of who sent a message, bound
 * to the message bytes by a body hash and to the moment of delivery by a timestamp.
 *
 * signature = hex(HMAC-SHA256(key, the eight values joined by "\n" in CLAIM_ORDER)), where the key is
 * the claims key of the account that owns the mailbox (GET /v1/account/claims-key).
 *
 * This is the one implementation; the server signs with it and the SDK verifies with it.
 */
import { headerValue, type HeaderSource } from './header-source.js';
import { fromHex, hmacKey, sha256Hex, subtle, toHex } from './web-crypto.js';

export const CLAIM_HEADERS = {
  verified: 'X-E2A-Auth-Verified',
  sender: 'X-E2A-Auth-Sender',
  entityType: 'X-E2A-Auth-Entity-Type',
  domainCheck: 'X-E2A-Auth-Domain-Check',
  delegation: 'X-E2A-Auth-Delegation',
  timestamp: 'X-E2A-Auth-Timestamp',
  messageId: 'X-E2A-Auth-Message-Id',
  bodyHash: 'X-E2A-Auth-Body-Hash',
  signature: 'X-E2A-Auth-Signature',
} as const;

/** The order the values are joined in before signing. Changing it breaks every verifier. */
export const CLAIM_ORDER = [
  'verified',
  'sender',
  'entityType',
  'domainCheck',
  'delegation',
  'timestamp',
  'messageId',
  'bodyHash',
] as const;

/** `agent`: the From address is an agent on this gateway and the mail was verified; else `external`. */
export const ENTITY_TYPES = ['agent', 'external'] as const;
export type EntityType = (typeof ENTITY_TYPES)[number];

export interface AuthClaims {
  verified: boolean;
  sender: string;
  entityType: EntityType;
  /** The DMARC result for the From domain (pass, fail, none, temperror, …). */
  domainCheck: string;
  /** Who the sender acts for, when a delegation is recorded; empty otherwise. */
  delegation: string;
  /** RFC 3339 UTC, seconds precision: 2026-01-02T03:04:05Z. */
  timestamp: string;
  messageId: string;
  /** Hex SHA-256 of the stored raw message (the bytes after the claim headers). */
  bodyHash: string;
}

export type SignedClaimHeaders = Record<(typeof CLAIM_HEADERS)[keyof typeof CLAIM_HEADERS], string>;

/** Default maximum age of claims at delivery time. */
export const CLAIM_TOLERANCE_SECONDS = 300;

export function claimsPayload(claims: AuthClaims): string {
  return CLAIM_ORDER.map((key) => {
    const value = claims[key];
    return typeof value === 'boolean' ? String(value) : value;
  }).join('\n');
}

export function rfc3339Seconds(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

export async function signAuthClaims(claims: AuthClaims, hmacSecret: string): Promise<SignedClaimHeaders> {
  for (const key of CLAIM_ORDER) {
    const value = claims[key];
    if (typeof value === 'string' && /[\r\n]/.test(value)) throw new Error(`auth claim ${key} must not contain a line break`);
  }
  const key = await hmacKey(hmacSecret, 'sign');
  const mac = await (await subtle()).sign('HMAC', key, new TextEncoder().encode(claimsPayload(claims)));
  return {
    [CLAIM_HEADERS.verified]: String(claims.verified),
    [CLAIM_HEADERS.sender]: claims.sender,
    [CLAIM_HEADERS.entityType]: claims.entityType,
    [CLAIM_HEADERS.domainCheck]: claims.domainCheck,
    [CLAIM_HEADERS.delegation]: claims.delegation,
    [CLAIM_HEADERS.timestamp]: claims.timestamp,
    [CLAIM_HEADERS.messageId]: claims.messageId,
    [CLAIM_HEADERS.bodyHash]: claims.bodyHash,
    [CLAIM_HEADERS.signature]: toHex(mac),
  } as SignedClaimHeaders;
}

/** Header lines for prepending to a raw message, CRLF-terminated, in the canonical order. */
export function claimHeaderLines(headers: SignedClaimHeaders): string {
  return Object.values(CLAIM_HEADERS)
    .map((name) => `${name}: ${headers[name]}\r\n`)
    .join('');
}

export class AuthClaimsError extends Error {
  override name = 'AuthClaimsError';
  constructor(
    readonly reason: 'missing_header' | 'bad_signature' | 'expired' | 'body_mismatch' | 'malformed',
    message: string,
  ) {
    super(message);
  }
}

export interface VerifyAuthClaimsOptions {
  /** Maximum age in seconds (default 300). */
  toleranceSeconds?: number;
  now?: Date;
  /** The raw message bytes the claims cover; when given, the body hash is checked too. */
  body?: Uint8Array | string;
}

/**
 * Verify signed claims from message headers (a webhook's or WebSocket message's `auth_claims`, or
 * the headers of `GET …/raw`). Accepts several keys (the account's `verification_keys`) so a
 * rotation does not break verification.
 * Throws AuthClaimsError with a message that says what to fix.
 */
export async function verifyAuthClaims(
  headers: HeaderSource,
  hmacSecret: string | string[],
  options: VerifyAuthClaimsOptions = {},
): Promise<AuthClaims> {
  const values: Partial<Record<keyof typeof CLAIM_HEADERS, string>> = {};
  for (const [key, name] of Object.entries(CLAIM_HEADERS) as Array<[keyof typeof CLAIM_HEADERS, string]>) {
    const value = headerValue(headers, name);
    if (value === undefined) {
      throw new AuthClaimsError('missing_header', `auth claims: header ${name} is missing; pass every X-E2A-Auth-* header exactly as received`);
    }
    values[key] = value.trim();
  }
  const verified = values.verified;
  if (verified !== 'true' && verified !== 'false') {
    throw new AuthClaimsError('malformed', `auth claims: ${CLAIM_HEADERS.verified} must be "true" or "false"`);
  }
  const entityType = values.entityType as EntityType;
  if (!ENTITY_TYPES.includes(entityType)) {
    throw new AuthClaimsError('malformed', `auth claims: unknown ${CLAIM_HEADERS.entityType} "${values.entityType}"`);
  }
  const claims: AuthClaims = {
    verified: verified === 'true',
    sender: values.sender!,
    entityType,
    domainCheck: values.domainCheck!,
    delegation: values.delegation!,
    timestamp: values.timestamp!,
    messageId: values.messageId!,
    bodyHash: values.bodyHash!,
  };
  const signature = fromHex(values.signature!);
  if (!signature) throw new AuthClaimsError('malformed', `auth claims: ${CLAIM_HEADERS.signature} is not hex`);

  const payload = new TextEncoder().encode(claimsPayload(claims));
  const secrets = Array.isArray(hmacSecret) ? hmacSecret : [hmacSecret];
  if (secrets.length === 0) throw new AuthClaimsError('bad_signature', 'auth claims: no key given; pass the verification_keys of GET /v1/account/claims-key');
  let matched = false;
  for (const secret of secrets) {
    // subtle.verify compares in constant time.
    if (await (await subtle()).verify('HMAC', await hmacKey(secret, 'verify'), signature as BufferSource, payload)) {
      matched = true;
      break;
    }
  }
  if (!matched) {
    throw new AuthClaimsError(
      'bad_signature',
      "auth claims: signature mismatch; check that you verify with the mailbox owner's claims key (every verification_keys entry of GET /v1/account/claims-key: both during a rotation) and that no X-E2A-Auth-* value was altered or re-encoded",
    );
  }

  const signedAt = Date.parse(claims.timestamp);
  if (Number.isNaN(signedAt)) throw new AuthClaimsError('malformed', `auth claims: ${CLAIM_HEADERS.timestamp} is not RFC 3339`);
  const now = (options.now ?? new Date()).getTime();
  const tolerance = (options.toleranceSeconds ?? CLAIM_TOLERANCE_SECONDS) * 1000;
  if (Math.abs(now - signedAt) > tolerance) {
    throw new AuthClaimsError(
      'expired',
      `auth claims: signed at ${claims.timestamp}, outside the ${tolerance / 1000}s tolerance; fetch the message again for fresh claims, or check this machine's clock`,
    );
  }

  if (options.body !== undefined) {
    const digest = await sha256Hex(options.body);
    if (digest !== claims.bodyHash.toLowerCase()) {
      throw new AuthClaimsError('body_mismatch', 'auth claims: body hash mismatch; hash the raw message bytes after the X-E2A-Auth-* lines, unmodified');
    }
  }
  return claims;
}
