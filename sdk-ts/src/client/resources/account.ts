import type { ClaimsKey } from '../../wire/index.js';
import type { HttpClient } from '../http.js';

/** The account's own settings that are not a resource list: its claims key. */
export class AccountResource {
  constructor(private readonly http: HttpClient) {}

  /**
   * The keys that verify this account's X-E2A-Auth-* claims (account and agent keys may read them):
   *
   *   const { verification_keys } = await e2a.account.claimsKey();
   *   await verifyAuthClaims(message.auth_claims, verification_keys, { body });
   */
  claimsKey(): Promise<ClaimsKey> {
    return this.http.request('GET', '/v1/account/claims-key');
  }

  /** A new claims key; the previous one still verifies for 24 hours. Account keys only. */
  rotateClaimsKey(): Promise<ClaimsKey> {
    return this.http.request('POST', '/v1/account/claims-key/rotate');
  }
}
