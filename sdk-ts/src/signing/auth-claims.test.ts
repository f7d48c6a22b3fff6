import { describe, expect, it } from 'vitest';
import { AuthClaimsError, CLAIM_HEADERS, claimHeaderLines, claimsPayload, signAuthClaims, verifyAuthClaims } from './auth-claims.js';
import { AUTH_CLAIM_VECTOR } from './vectors.js';


const at = new Date('2026-01-02T03:05:00Z');

describe('auth claims', () => {
  it('signs the fixed vector to the fixed signature', async () => {
    expect(claimsPayload(AUTH_CLAIM_VECTOR.claims)).toBe(
      'true\nalice@example.com\nexternal\npass\n\n2026-01-02T03:04:05Z\nmsg_01jgv5b4x8e2a0000000000000\n9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08',
    );
    const headers = await signAuthClaims(AUTH_CLAIM_VECTOR.claims, AUTH_CLAIM_VECTOR.secret);
    expect(headers[CLAIM_HEADERS.signature]).toBe(AUTH_CLAIM_VECTOR.signature);
    expect(claimHeaderLines(headers).split('\r\n').slice(0, 9).map((l) => l.split(':')[0])).toEqual(Object.values(CLAIM_HEADERS));
  });

  it('verifies the vector, with the body, and with a rotated secret list', async () => {
    const headers = await signAuthClaims(AUTH_CLAIM_VECTOR.claims, AUTH_CLAIM_VECTOR.secret);
    await expect(verifyAuthClaims(headers, AUTH_CLAIM_VECTOR.secret, { now: at, body: 'test' })).resolves.toEqual(AUTH_CLAIM_VECTOR.claims);
    await expect(verifyAuthClaims(new Headers(headers), ['new-secret', AUTH_CLAIM_VECTOR.secret], { now: at })).resolves.toBeTruthy();
  });

  it.each([
    ['a changed value', { [CLAIM_HEADERS.sender]: 'mallory@example.com' }, 'bad_signature'],
    ['a changed signature byte', { [CLAIM_HEADERS.signature]: `0${AUTH_CLAIM_VECTOR.signature.slice(1)}` }, 'bad_signature'],
    ['a missing header', { [CLAIM_HEADERS.delegation]: undefined }, 'missing_header'],
    ['a non-hex signature', { [CLAIM_HEADERS.signature]: 'zz' }, 'malformed'],
  ])('rejects %s', async (_name, change, reason) => {
    const headers: Record<string, string | undefined> = { ...(await signAuthClaims(AUTH_CLAIM_VECTOR.claims, AUTH_CLAIM_VECTOR.secret)), ...change };
    await expect(verifyAuthClaims(headers, AUTH_CLAIM_VECTOR.secret, { now: at })).rejects.toMatchObject({ reason });
  });

  it('rejects claims older than five minutes, and says what to do', async () => {
    const headers = await signAuthClaims(AUTH_CLAIM_VECTOR.claims, AUTH_CLAIM_VECTOR.secret);
    const late = new Date('2026-01-02T03:09:06Z');
    const err = await verifyAuthClaims(headers, AUTH_CLAIM_VECTOR.secret, { now: late }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(AuthClaimsError);
    expect((err as AuthClaimsError).reason).toBe('expired');
    expect((err as Error).message).toContain('fetch the message again');
    await expect(verifyAuthClaims(headers, AUTH_CLAIM_VECTOR.secret, { now: new Date('2026-01-02T03:09:04Z') })).resolves.toBeTruthy();
  });

  it('rejects a body that is not the one signed', async () => {
    const headers = await signAuthClaims(AUTH_CLAIM_VECTOR.claims, AUTH_CLAIM_VECTOR.secret);
    await expect(verifyAuthClaims(headers, AUTH_CLAIM_VECTOR.secret, { now: at, body: 'Test' })).rejects.toMatchObject({ reason: 'body_mismatch' });
  });

  it('refuses to sign a value with a line break (header injection)', async () => {
    await expect(signAuthClaims({ ...AUTH_CLAIM_VECTOR.claims, sender: 'a@b.c\r\nX-Evil: 1' }, 's')).rejects.toThrow(/line break/);
  });
});
