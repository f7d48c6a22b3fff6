/**
 * Each account's claims key: the HMAC-SHA256 key its X-E2A-Auth-* claims are signed with
 * (sdk-ts/src/signing/auth-claims.ts). One gateway-wide secret would let any tenant, holding it to
 * verify its own mail, sign claims that every other tenant's agents accept; a key per account signs
 * and verifies that account's mail only.
 *
 * `e2aclaims_` + base64url of 32 random bytes, sealed at rest (SecretBox, storage.encryption_key),
 * made on first use: SQL cannot seal, so accounts that existed before keys did get theirs then too,
 * and two processes making one at once both insert ON CONFLICT DO NOTHING and read the row that won.
 * Readable by the account's keys and its agents' keys (agents verify claims); rotated by account
 * keys only. A rotation follows the webhook secret pattern (webhooks/signing-secrets.ts): the new key
 * signs at once and the previous one still verifies for ROTATION_OVERLAP_MS, so verifiers that
 * fetched the keys before the rotation keep working until they fetch again.
 */
import { randomBytes } from 'node:crypto';
import type { ClaimsKey } from '@e2a/sdk/wire';
import { isoTime, type Clock } from '../clock.js';
import type { SecretBox } from '../crypto/secret-box.js';
import type { Database } from '../db/database.js';
import { AppError } from '../errors.js';
import { ROTATION_OVERLAP_MS } from '../webhooks/signing-secrets.js';
import type { Principal } from './principal.js';
import { ClaimsKeysRepo } from './repo.js';

export const CLAIMS_KEY_PREFIX = 'e2aclaims_';

function generateClaimsKey(): string {
  return `${CLAIMS_KEY_PREFIX}${randomBytes(32).toString('base64url')}`;
}

type KeyRow = {
  secret: Uint8Array;
  previous_secret: Uint8Array | null;
  previous_secret_expires_at: Date | null;
  created_at: Date;
  rotated_at: Date | null;
};

export class ClaimsKeys {
  private readonly repo: ClaimsKeysRepo;

  constructor(private readonly deps: { db: Database; box: SecretBox; clock: Clock }) {
    this.repo = new ClaimsKeysRepo(deps.db);
  }

  /** The key that signs `userId`'s claims now. */
  async signingKey(userId: string): Promise<string> {
    return this.deps.box.open((await this.row(userId)).secret).toString('utf8');
  }

  /** Every key that verifies `userId`'s claims now, current first (what a verifier should accept). */
  async verificationKeys(userId: string): Promise<string[]> {
    return this.toWire(await this.row(userId)).verification_keys;
  }

  /** GET /v1/account/claims-key: any key of the account, agent keys included. */
  async get(principal: Principal): Promise<ClaimsKey> {
    return this.toWire(await this.row(principal.userId));
  }

  /** POST /v1/account/claims-key/rotate: account keys only. */
  async rotate(principal: Principal): Promise<ClaimsKey> {
    if (principal.scope !== 'account') {
      throw new AppError('forbidden', 'agent-scoped keys can read the claims key but not rotate it; use an account key');
    }
    await this.row(principal.userId);
    const now = this.deps.clock.now();
    // One statement: the key being replaced becomes the previous one (an older previous is dropped).
    const row = await this.repo.rotate(principal.userId, { secret: this.deps.box.seal(generateClaimsKey()), previousExpiresAt: new Date(now.getTime() + ROTATION_OVERLAP_MS), at: now });
    return this.toWire(row);
  }

  private async row(userId: string): Promise<KeyRow> {
    const { box, clock } = this.deps;
    const existing = await this.repo.find(userId);
    if (existing) return existing;
    await this.repo.insertIfAbsent({ user_id: userId, secret: box.seal(generateClaimsKey()), created_at: clock.now() });
    return this.repo.get(userId);
  }

  private toWire(row: KeyRow): ClaimsKey {
    const { box, clock } = this.deps;
    const key = box.open(row.secret).toString('utf8');
    const previousValid =
      row.previous_secret !== null && row.previous_secret_expires_at !== null && new Date(row.previous_secret_expires_at).getTime() > clock.now().getTime();
    const previous = previousValid ? box.open(row.previous_secret!).toString('utf8') : null;
    return {
      key,
      previous_key: previous,
      previous_key_expires_at: previousValid ? isoTime(row.previous_secret_expires_at)! : null,
      verification_keys: previous ? [key, previous] : [key],
      created_at: isoTime(row.created_at),
      rotated_at: isoTime(row.rotated_at),
    };
  }
}
